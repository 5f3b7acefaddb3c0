// Training a language model: the configuration (with its defaults), the run and its summary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "charloom/errors.hpp"
#include "charloom/model_config.hpp"
#include "charloom/run_events.hpp"

namespace charloom {

// Defaults train a 2x512 LSTM well on a 1-10 MB corpus; docs/training.md says how they were chosen.
struct TrainingConfig {
  std::vector<std::string> corpus;
  std::string output;
  ModelConfig model;  // vocabulary_size comes from the corpus
  std::uint64_t min_count = 1;
  double val_fraction = 0.1;

  int batch_size = 32;
  int seq_length = 100;

  std::string optimizer = "adam";  // adam, rmsprop or sgd (with momentum)
  double learning_rate = 3e-3;
  // auto: under --time-limit, constant and then a cosine over the last lr_decay_fraction of
  // the iterations the time allows (estimated from the measured speed); constant otherwise.
  std::string lr_schedule = "auto";  // auto, constant, step or cosine
  std::int64_t warmup_iters = 0;     // linear warm-up, for any schedule
  std::int64_t lr_decay_every = 0;   // step: multiply by lr_decay_rate every this many iterations
  double lr_decay_rate = 0.5;
  std::int64_t lr_decay_iters = 0;  // cosine and auto: the horizon (cosine's 0 = --max-iters)
  double min_lr_fraction = 0.02;    // cosine and auto: the floor, as a fraction of the peak
  // cosine and auto: the share of the horizon, at its end, over which the rate decays; the
  // rate is constant before it. 0 = the schedule's own: 1 (all of it) for cosine, 0.4 for auto.
  double lr_decay_fraction = 0.0;
  double momentum = 0.9;                              // sgd
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;  // adam; rmsprop uses beta2 as alpha
  double weight_decay = 0.0;                          // decoupled (AdamW-style) for every optimizer
  double grad_clip = 5.0;                             // global L2 norm; 0 = off
  // --dropout also on the top layer's outputs, before the head, as char-rnn does: it trains
  // only, so the model file and PyTorch's modules are unchanged (docs/training.md, "The defaults").
  bool dropout_before_head = true;
  // AWD-LSTM's weight drop: each step drops this fraction of the recurrent (hidden-to-hidden)
  // weights, one mask for the whole batch, and scales the rest up; 0 = off.
  double weight_drop = 0.0;

  std::int64_t max_iters = 0;    // 0 = no limit; counts the whole run, across resumes
  std::int64_t max_epochs = 50;  // 0 = no limit; counts the whole run
  double time_limit = 0.0;       // seconds of this invocation; 0 = no limit
  std::int64_t eval_every = 200;
  int patience = 0;  // evaluations without improvement before stopping; 0 = off

  std::string checkpoint_dir;         // "" = OUTPUT.checkpoints
  std::int64_t checkpoint_every = 0;  // 0 = at each evaluation
  int keep_last = 3;
  bool keep_best = true;
  std::string resume;  // a checkpoint file, or a directory (its newest checkpoint)
  // A language model to start from (not with resume): its architecture, text options,
  // vocabulary and weights, to fine-tune on this corpus. Units it has never seen read as <unk>.
  std::string init_from;
  // Set when the user chose the architecture explicitly: resuming then checks it matches.
  bool architecture_given = false;
  std::string on_divergence = "stop";  // stop or rollback

  std::uint64_t seed = 1;
  int threads = 0;  // 0 = oneDNN's default (all cores)
  // auto: bf16 where the CPU runs it natively and the layers are wide enough to gain, else
  // f32 (see choose_precision). The choice is in the summary and the model's record.
  Precision precision = Precision::automatic;

  std::string metrics_path;     // JSONL
  std::string summary_path;     // JSON
  std::int64_t log_every = 10;  // iterations between "train" records in the metrics
  // Data-parallel runs (mpirun): sum each gradient bucket while backward computes the rest,
  // or (false) all of them after backward.
  bool overlap_allreduce = true;
  std::string invocation;  // the command line, recorded in the model file
};

struct TrainingSummary {
  std::int64_t iterations = 0;
  double epochs = 0.0;
  double train_loss = 0.0;  // nats per unit, mean over the last log window
  double val_loss = 0.0;    // nats per unit of the output model; NaN without validation
  double val_bpc = 0.0;
  double best_val_loss = 0.0;
  double seconds = 0.0;
  double chars_per_second = 0.0;
  std::int64_t parameters = 0;
  std::string precision, precision_reason;  // the recurrent layers' arithmetic, and why
  // max-iters, max-epochs, time-limit, patience, signal, or stop-request (a caller's
  // StopRequest without a signal). After signal and stop-request there is a checkpoint and no output.
  std::string stopped_by;
  int signal = 0;  // the signal that stopped the run, if any
  bool interrupted() const { return stopped_by == "signal" || stopped_by == "stop-request"; }
  std::string last_checkpoint;
  std::string output;
  // Data-parallel runs: this process's rank (only rank 0 reports), the number of processes,
  // and per step the allreduce time, the part of it backward did not hide, and the whole step.
  int rank = 0, processes = 1;
  double allreduce_seconds_per_step = 0.0, allreduce_wait_seconds_per_step = 0.0, step_seconds = 0.0;
};

// The loss stopped being finite and --on-divergence could not (or may not) roll back.
class TrainingDiverged : public Error {
 public:
  using Error::Error;
};

// Runs training on the calling thread, reporting through `hooks` (see run_events.hpp): a
// StopRequest set from any thread ends the run within one step, or one second of loading or
// validation, with a checkpoint. Throws UsageError for bad settings, InputError for bad data
// or checkpoints, IoError for failed writes, and TrainingDiverged. Under mpirun every process
// calls it; only rank 0's observer hears anything.
//
// Thread safety: runs may not overlap in one process, because --threads is process-wide (see
// threads.hpp); loaded models may be used meanwhile from other threads.
TrainingSummary train_language_model(const TrainingConfig& config, const RunHooks& hooks = {});

}  // namespace charloom
