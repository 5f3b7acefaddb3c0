// What a training run tells its caller, as data, and how a caller stops it: the observer
// that apps, a server or Python implement, and the stop request any thread may make.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace charloom {

// After every language-model training step.
struct StepRecord {
  std::int64_t iteration = 0;
  std::int64_t max_iters = 0;  // 0 = no iteration budget
  double epoch = 0.0;
  double train_loss = 0.0;  // nats per unit, mean over the current log window
  double val_loss = -1.0;   // the best validation loss so far; negative before the first
  double chars_per_second = 0.0;
  double eta_seconds = -1.0;  // negative when unknown
  double lr = 0.0;
  double grad_norm = 0.0;
  double seconds = 0.0;  // since the run began, across resumes
};

// After each language-model validation.
struct EvaluationRecord {
  std::int64_t iteration = 0;
  double epoch = 0.0;
  double val_loss = 0.0;  // nats per unit
  double val_bpc = 0.0;
  double seconds = 0.0;
  bool best = false;
};

// After each sentiment-classifier epoch: its dev figures.
struct EpochRecord {
  std::int64_t epoch = 0;
  std::int64_t iteration = 0;
  double train_loss = 0.0;
  bool has_lm_loss = false;  // with --lm-loss-weight
  double lm_loss = 0.0;
  double dev_accuracy = 0.0;  // of the model the run would save (with class language models, combined)
  double dev_loss = 0.0;
  bool has_class_models = false;
  double classifier_dev_accuracy = 0.0;  // the classifier alone, with class language models
  double class_lm_weight = 0.0;
  double lr = 0.0;
  bool encoder_trained = true;
  bool best = false;
  double seconds = 0.0;
};

// The result of fitting a sentiment classifier's layer as a penalized logistic regression.
struct ProbeRecord {
  std::string penalty;  // l1 or l2
  double c = 0.0;
  std::size_t nonzero_weights = 0, features = 0;
  double dev_accuracy = 0.0;
  double seconds = 0.0;
};

enum class NoteKind { info, warning };

// Receives a run's records on the thread that runs it. Every method has an empty default, so
// an observer overrides only what it shows. A method that throws ends the run with that error.
class TrainingObserver {
 public:
  virtual ~TrainingObserver() = default;
  virtual void on_step(const StepRecord& /*record*/) {}
  virtual void on_evaluation(const EvaluationRecord& /*record*/) {}
  virtual void on_epoch(const EpochRecord& /*record*/) {}
  virtual void on_probe(const ProbeRecord& /*record*/) {}
  // A line for a person: what the run is doing (info) or something they should know (warning).
  virtual void on_note(NoteKind /*kind*/, const std::string& /*text*/) {}
};

// A request to stop a run at its next safe point (the end of a step, or within a long
// loading or validation pass); the run then checkpoints and returns its summary. Any thread may
// call request_stop; it is async-signal-safe, so a signal handler may too.
class StopRequest {
 public:
  // `signal_number` is the signal that asked, or 0 for a caller's own request.
  void request_stop(int signal_number = 0) noexcept { state_.store(signal_number > 0 ? signal_number : requested); }
  bool stop_requested() const noexcept { return state_.load() != 0; }
  // The signal that asked, 0 when none has or when the caller asked without one.
  int signal() const noexcept { return state_.load() > 0 ? state_.load() : 0; }

 private:
  static constexpr int requested = -1;
  std::atomic<int> state_{0};
  static_assert(std::atomic<int>::is_always_lock_free, "a signal handler must be able to set it");
};

// The hooks a run reports through; both optional.
struct RunHooks {
  TrainingObserver* observer = nullptr;
  const StopRequest* stop = nullptr;
};

}  // namespace charloom
