// The training loop: data, network, optimizer, evaluation, checkpoints, resume and signals.
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>

#include "charloom/batcher.hpp"
#include "charloom/corpus.hpp"
#include "charloom/errors.hpp"
#include "charloom/model_file.hpp"
#include "charloom/threads.hpp"
#include "charloom/training.hpp"
#include "dist/communicator.hpp"
#include "dist/gradient_reducer.hpp"
#include "infer/evaluation.hpp"
#include "io/atomic_file.hpp"
#include "io/file_reader.hpp"
#include "io/model_bytes.hpp"
#include "nn/engine.hpp"
#include "nn/network.hpp"
#include "train/checkpoints.hpp"
#include "train/optimizer.hpp"
#include "train/run_control.hpp"
#include "train/run_log.hpp"
#include "train/schedule.hpp"
#include "train/weight_drop.hpp"

namespace charloom {
namespace {

constexpr double nats_to_bits = 1.4426950408889634;
constexpr int max_rollbacks = 8;

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Everything about the run's position that a checkpoint must restore, besides tensors.
struct RunState {
  std::int64_t step = 0;
  DataCursor cursor;
  double lr_scale = 1.0;
  double best_val_loss = std::numeric_limits<double>::infinity();
  std::int64_t best_step = -1;
  int evals_without_improvement = 0;
  double elapsed_seconds = 0.0;  // over all invocations
};

nlohmann::json run_state_json(const RunState& run, const TrainingConfig& config,
                              const train::ScheduleSettings& schedule, std::int64_t optimizer_steps,
                              std::uint32_t corpus_fingerprint) {
  return {
      {"corpus_crc32", corpus_fingerprint},
      {"step", run.step},
      {"epoch", run.cursor.epoch},
      {"batch", run.cursor.batch},
      {"lr_scale", run.lr_scale},
      {"best_val_loss", std::isfinite(run.best_val_loss) ? nlohmann::json(run.best_val_loss) : nlohmann::json(nullptr)},
      {"best_step", run.best_step},
      {"evals_without_improvement", run.evals_without_improvement},
      {"elapsed_seconds", run.elapsed_seconds},
      {"optimizer", config.optimizer},
      {"optimizer_steps", optimizer_steps},
      {"seed", config.seed},
      {"lr_decay_iters", schedule.lr_decay_iters},
      {"batch_size", config.batch_size},
      {"seq_length", config.seq_length},
      {"processes", dist::Communicator::world().size()}};
}

nlohmann::json training_json(const TrainingConfig& c, const PrecisionChoice& precision) {
  return {{"corpus", c.corpus},
          {"batch_size", c.batch_size},
          {"seq_length", c.seq_length},
          {"optimizer", c.optimizer},
          {"learning_rate", c.learning_rate},
          {"lr_schedule", c.lr_schedule},
          {"warmup_iters", c.warmup_iters},
          {"lr_decay_fraction", c.lr_decay_fraction},
          {"grad_clip", c.grad_clip},
          {"dropout_before_head", c.dropout_before_head},
          {"weight_decay", c.weight_decay},
          {"weight_drop", c.weight_drop},
          {"val_fraction", c.val_fraction},
          {"min_count", c.min_count},
          {"seed", c.seed},
          {"init_from", c.init_from},
          {"precision", to_string(precision.precision)},
          {"precision_asked", to_string(c.precision)},
          {"precision_reason", precision.reason},
          {"invocation", c.invocation}};
}

// The architecture in words, e.g. "a 2x512 lstm (embedding 128, codepoint units, nfc)".
std::string describe(const ModelConfig& m) {
  return "a " + std::to_string(m.layers) + "x" + std::to_string(m.hidden) + " " + std::string(to_string(m.cell)) +
         " (embedding " + std::to_string(m.embedding_size) + ", " + std::string(to_string(m.text.unit)) + " units, " +
         std::string(to_string(m.text.normalization)) + ")";
}

void validate(const TrainingConfig& c) {
  if (c.corpus.empty()) throw UsageError("no corpus given; pass --corpus FILE");
  if (c.output.empty()) throw UsageError("no output given; pass --output MODEL");
  if (c.batch_size < 1 || c.batch_size > 65536)
    throw UsageError("--batch-size must be from 1 to 65536, got " + std::to_string(c.batch_size));
  if (c.seq_length < 1 || c.seq_length > 100000)
    throw UsageError("--seq-length must be from 1 to 100000, got " + std::to_string(c.seq_length));
  train::check_shared_settings(c.learning_rate, c.grad_clip, c.threads, c.on_divergence);
  if (c.max_iters < 0 || c.max_epochs < 0 || c.time_limit < 0.0) throw UsageError("budgets must not be negative");
  if (c.eval_every < 1) throw UsageError("--eval-every must be at least 1");
  if (c.patience < 0 || c.keep_last < 0 || c.checkpoint_every < 0)
    throw UsageError("--patience, --keep-last and --checkpoint-every must not be negative");
  const int processes = dist::Communicator::world().size();
  if (c.batch_size % processes != 0)
    throw UsageError("--batch-size " + std::to_string(c.batch_size) + " does not divide among " +
                     std::to_string(processes) + " processes; give a multiple of " + std::to_string(processes) +
                     " (it is the global batch, shared by all processes)");
  train::validate_schedule(train::schedule_settings(c));
  train::check_weight_drop(c.weight_drop);
}

// The training state held in memory for --on-divergence=rollback.
struct Snapshot {
  std::vector<float> parameters;
  std::vector<std::vector<float>> optimizer_state;
  std::int64_t optimizer_steps = 0;
  nn::StreamState stream;
  RunState run;
};

// Counters of this invocation's steps, for the progress records and the summary.
struct Progress {
  double window_loss = 0.0, window_seconds = 0.0;  // over the current log window
  std::int64_t window_steps = 0;
  double last_train_loss = std::numeric_limits<double>::quiet_NaN();
  double train_seconds = 0.0;
  std::int64_t trained_steps = 0;
  std::int64_t last_eval_step = -1;
  bool decay_announced = false;
};

class Trainer {
 public:
  Trainer(const TrainingConfig& config, const RunHooks& hooks) : config_(config), hooks_(hooks) {}
  TrainingSummary run();

 private:
  void prepare();
  void announce();
  bool should_stop(TrainingSummary& summary);
  void train_step();
  void handle_divergence(double loss, double norm);
  void report_step(double loss, double norm, double lr, double step_seconds);
  void estimate_horizon();
  void evaluate_and_checkpoint(bool force_checkpoint);
  void finish(TrainingSummary& summary);
  void report_allreduce(TrainingSummary& summary);
  nlohmann::json summary_json(const TrainingSummary& summary) const;
  double epoch_now() const;
  std::int64_t units_per_step() const { return static_cast<std::int64_t>(config_.batch_size) * config_.seq_length; }
  double evaluate();
  std::string write_checkpoint(bool is_best);
  ModelFile checkpoint_file();
  void share_from_root(const std::string& path, ModelFile& file);
  void check_architecture(const std::string& path, const ModelConfig& held) const;
  void restore(const ModelFile& checkpoint);
  void take_snapshot();
  void roll_back();
  void write_output(TrainingSummary& summary);

  TrainingConfig config_;
  // The learning-rate schedule, built once; the auto schedule moves its horizon.
  train::ScheduleSettings schedule_;
  RunHooks hooks_;
  std::unique_ptr<train::RunLog> log_;
  // The processes of a data-parallel run; this one holds streams [first_stream_,
  // first_stream_ + local_batch_) of the global batch. A plain run is one process of them all.
  dist::Communicator& world_ = dist::Communicator::world();
  int local_batch_ = 0, first_stream_ = 0;
  std::unique_ptr<dist::GradientReducer> reducer_;
  nn::GradientsReady gradients_ready_;  // hands finished gradients to the reducer; empty alone
  EncodedCorpus corpus_;
  std::uint32_t corpus_fingerprint_ = 0;  // checked on resume
  CorpusSplit split_;
  PrecisionChoice precision_;  // config_.precision as this CPU runs it
  std::unique_ptr<nn::Network> network_;
  std::optional<train::WeightDrop> weight_drop_;
  std::unique_ptr<train::Optimizer> optimizer_;
  std::unique_ptr<Batcher> batcher_;
  std::unique_ptr<train::CheckpointDirectory> checkpoints_;
  nn::StreamState stream_;
  RunState run_;
  std::vector<float> best_parameters_;
  Snapshot snapshot_;
  bool resumed_ = false;
  std::string last_checkpoint_;
  std::int64_t last_checkpoint_step_ = -1;
  int rollbacks_ = 0;
  Clock::time_point started_;       // this invocation's start
  double elapsed_before_ = 0.0;     // seconds of earlier invocations, from the checkpoint
  bool horizon_from_time_ = false;  // the auto schedule sets its horizon from --time-limit
  Progress progress_;
  Batch batch_;
};

void Trainer::prepare() {
  validate(config_);
  schedule_ = train::schedule_settings(config_);
  set_thread_count(config_.threads);
  ModelFile checkpoint;
  std::string checkpoint_path;
  local_batch_ = config_.batch_size / world_.size();
  first_stream_ = world_.rank() * local_batch_;
  if (!config_.resume.empty()) {
    // Rank 0 picks the checkpoint (the newest complete one in a directory) and sends its bytes
    // to every other rank, so all start from one state and other hosts need no copy of it.
    if (world_.is_root())
      checkpoint = train::load_checkpoint(config_.resume, checkpoint_path,
                                          [this](const std::string& text) { log_->warning(text); });
    world_.broadcast(checkpoint_path);
    share_from_root(checkpoint_path, checkpoint);
    if (checkpoint.checkpoint_json.empty())
      throw InputError(checkpoint_path +
                       " is a model, not a checkpoint; resume from a file in the checkpoint directory");
    check_architecture(checkpoint_path, checkpoint.config);
    config_.model = checkpoint.config;
    resumed_ = true;
  }
  ModelFile start;
  if (!resumed_ && !config_.init_from.empty()) {
    if (world_.is_root()) start = load_model_file(config_.init_from);
    share_from_root(config_.init_from, start);
    if (start.kind != language_model_kind)
      throw InputError("--init-from " + config_.init_from + " holds a model of kind '" + start.kind +
                       "'; a language model trains from a language model");
    check_architecture(config_.init_from, start.config);
    const float dropout = config_.model.dropout;  // a training choice, not the model's
    config_.model = start.config;
    config_.model.dropout = dropout;
  }
  if (resumed_ || !config_.init_from.empty()) {
    corpus_.vocabulary = resumed_ ? checkpoint.vocabulary : start.vocabulary;
    corpus_.ids = encode_files(config_.corpus, config_.model.text, corpus_.vocabulary, hooks_.stop);
  } else {
    corpus_ = load_corpus(config_.corpus, config_.model.text, config_.min_count, hooks_.stop);
  }
  if (corpus_.ids.size() == 0) throw UsageError("the corpus is empty; give a text file with some content");
  corpus_fingerprint_ = corpus_.ids.fingerprint();
  config_.model.vocabulary_size = static_cast<int>(corpus_.vocabulary.size());
  split_ = split_corpus(corpus_.ids.size(), config_.val_fraction);
  batcher_ = std::make_unique<Batcher>(
      corpus_.ids, split_.train_begin, split_.train_end, static_cast<std::size_t>(config_.batch_size),
      static_cast<std::size_t>(config_.seq_length),
      StreamShare{static_cast<std::size_t>(first_stream_), static_cast<std::size_t>(local_batch_)});
  precision_ = resolve_precision(config_.precision, config_.model);
  network_ = std::make_unique<nn::Network>(config_.model, precision_.precision);
  network_->set_stream_share(first_stream_, config_.batch_size);
  network_->set_top_dropout(config_.dropout_before_head);
  if (config_.weight_drop > 0.0) weight_drop_.emplace(network_->layout(), config_.weight_drop, config_.seed);
  reducer_ = std::make_unique<dist::GradientReducer>(world_, config_.overlap_allreduce);
  if (world_.distributed())
    gradients_ready_ = [this](std::size_t offset, std::size_t count) { reducer_->ready(offset, count); };
  // Rank 0 alone writes the model, checkpoints and metrics.
  if (world_.is_root()) train::check_writable(config_.output);
  optimizer_ = train::make_optimizer(train::optimizer_settings(config_), network_->parameters().size());
  stream_.reset(config_.model, local_batch_);
  const std::string directory =
      config_.checkpoint_dir.empty() ? config_.output + ".checkpoints" : config_.checkpoint_dir;
  if (world_.is_root())
    checkpoints_ = std::make_unique<train::CheckpointDirectory>(directory, config_.keep_last, config_.keep_best);
  if (resumed_) {
    restore(checkpoint);
    last_checkpoint_ = checkpoint_path;
    last_checkpoint_step_ = run_.step;
  } else {
    network_->initialize(config_.seed);
    if (!config_.init_from.empty()) network_->load_tensors(start.tensors);
  }
  take_snapshot();
}

// Rank 0 has read `file` from `path` and sends the file's bytes to every other rank, so all
// ranks start from one state and other hosts need no copy of the file.
void Trainer::share_from_root(const std::string& path, ModelFile& file) {
  if (!world_.distributed()) return;
  std::string bytes = world_.is_root() ? io::read_file(path) : std::string();
  world_.broadcast(bytes);
  if (!world_.is_root()) file = io::parse_model_file(std::move(bytes), path);
}

// Architecture flags given beside a model to start from must describe that model.
void Trainer::check_architecture(const std::string& path, const ModelConfig& held) const {
  if (config_.architecture_given && describe(config_.model) != describe(held))
    throw UsageError(path + " holds " + describe(held) + " but the flags ask for " + describe(config_.model) +
                     "; drop the architecture flags or match them");
}

void Trainer::restore(const ModelFile& checkpoint) {
  const nlohmann::json state = nlohmann::json::parse(checkpoint.checkpoint_json, nullptr, false);
  if (!state.is_object()) throw InputError(config_.resume + ": the checkpoint state is not valid JSON");
  try {
    if (state.at("batch_size").get<int>() != config_.batch_size ||
        state.at("seq_length").get<int>() != config_.seq_length)
      throw UsageError("the checkpoint was trained with --batch-size " +
                       std::to_string(state.at("batch_size").get<int>()) + " --seq-length " +
                       std::to_string(state.at("seq_length").get<int>()) + "; resume with the same values");
    if (state.at("optimizer").get<std::string>() != config_.optimizer)
      throw UsageError("the checkpoint was trained with --optimizer " + state.at("optimizer").get<std::string>() +
                       "; resume with the same optimizer");
    if (state.at("seed").get<std::uint64_t>() != config_.seed)
      throw UsageError("the checkpoint was trained with --seed " +
                       std::to_string(state.at("seed").get<std::uint64_t>()) + "; resume with the same seed");
    // Checkpoints from before the corpus fingerprint lack it, and resume as they did.
    if (state.contains("corpus_crc32") && state.at("corpus_crc32").get<std::uint32_t>() != corpus_fingerprint_)
      throw UsageError(
          "the checkpoint was trained on other text than --corpus; resume with the same corpus files, "
          "in the same order");
    run_.step = state.at("step").get<std::int64_t>();
    run_.cursor = DataCursor{state.at("epoch").get<std::uint64_t>(), state.at("batch").get<std::uint64_t>()};
    run_.lr_scale = state.at("lr_scale").get<double>();
    run_.best_val_loss = state.at("best_val_loss").is_null() ? std::numeric_limits<double>::infinity()
                                                             : state.at("best_val_loss").get<double>();
    run_.best_step = state.at("best_step").get<std::int64_t>();
    run_.evals_without_improvement = state.at("evals_without_improvement").get<int>();
    run_.elapsed_seconds = state.at("elapsed_seconds").get<double>();
    optimizer_->steps_taken = state.at("optimizer_steps").get<std::int64_t>();
    if (config_.lr_schedule == "auto") schedule_.lr_decay_iters = state.value("lr_decay_iters", std::int64_t{0});
    const int processes = state.value("processes", 1);
    if (processes != world_.size())
      log_->warning("the checkpoint was written by " + std::to_string(processes) + " process" +
                    (processes == 1 ? "" : "es") + " and this run has " + std::to_string(world_.size()) +
                    "; each process now takes " + std::to_string(local_batch_) +
                    " of the global batch's streams, so the data position and hidden states carry over");
  } catch (const nlohmann::json::exception& error) {
    throw InputError(config_.resume + ": the checkpoint state is incomplete: " + error.what());
  }
  batcher_->seek(run_.cursor);
  network_->load_tensors(checkpoint.tensors);
  auto take = [&](const std::string& name, std::vector<float>& into) {
    const NamedTensor* tensor = checkpoint.find(name);
    if (tensor == nullptr || tensor->values.size() != into.size())
      throw InputError(config_.resume + ": the checkpoint lacks " + name + " of the expected size");
    into = tensor->values;
  };
  for (auto& [name, buffer] : optimizer_->state()) take(name, *buffer);
  // The checkpoint holds every stream's state, (B, H); this process takes its share's rows.
  const std::size_t hidden = static_cast<std::size_t>(config_.model.hidden);
  auto take_rows = [&](const std::string& name, std::vector<float>& into) {
    std::vector<float> all(static_cast<std::size_t>(config_.batch_size) * hidden);
    take(name, all);
    std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(first_stream_ * hidden), into.size(), into.begin());
  };
  for (int layer = 0; layer < config_.model.layers; ++layer) {
    take_rows("train_state.h_l" + std::to_string(layer), stream_.h[layer]);
    if (config_.model.cell == CellKind::lstm) take_rows("train_state.c_l" + std::to_string(layer), stream_.c[layer]);
  }
  best_parameters_.assign(network_->parameters().size(), 0.0f);
  if (checkpoint.find("best.parameters") != nullptr)
    take("best.parameters", best_parameters_);
  else
    best_parameters_.clear();
}

ModelFile Trainer::checkpoint_file() {
  ModelFile file;
  file.config = config_.model;
  file.vocabulary = corpus_.vocabulary;
  file.training_json = training_json(config_, precision_).dump();
  file.tensors = nn::named_tensors(network_->layout(), network_->parameters());
  const std::int64_t hidden = config_.model.hidden, batch = config_.batch_size;
  const std::int64_t count = static_cast<std::int64_t>(network_->parameters().size());
  for (auto& [name, buffer] : optimizer_->state()) file.extra_tensors.push_back({name, {count}, *buffer});
  // Every stream's state, gathered from the processes in stream order.
  auto all_rows = [&](const std::vector<float>& mine) {
    std::vector<float> all(static_cast<std::size_t>(batch * hidden));
    world_.gather(mine.data(), mine.size(), all.data());
    return all;
  };
  for (int layer = 0; layer < config_.model.layers; ++layer) {
    file.extra_tensors.push_back(
        {"train_state.h_l" + std::to_string(layer), {batch, hidden}, all_rows(stream_.h[layer])});
    if (config_.model.cell == CellKind::lstm)
      file.extra_tensors.push_back(
          {"train_state.c_l" + std::to_string(layer), {batch, hidden}, all_rows(stream_.c[layer])});
  }
  if (!best_parameters_.empty()) file.extra_tensors.push_back({"best.parameters", {count}, best_parameters_});
  file.checkpoint_json = run_state_json(run_, config_, schedule_, optimizer_->steps_taken, corpus_fingerprint_).dump();
  return file;
}

std::string Trainer::write_checkpoint(bool is_best) {
  run_.elapsed_seconds = elapsed_before_ + seconds_since(started_);
  ModelFile file = checkpoint_file();  // every process takes part: the hidden states are gathered
  if (world_.is_root()) last_checkpoint_ = checkpoints_->write(file, run_.step, is_best);
  last_checkpoint_step_ = run_.step;
  // What was just written is what --on-divergence=rollback goes back to.
  take_snapshot();
  return last_checkpoint_;
}

void Trainer::take_snapshot() {
  snapshot_.parameters = network_->parameters();
  snapshot_.optimizer_state.clear();
  for (auto& [name, buffer] : optimizer_->state()) snapshot_.optimizer_state.push_back(*buffer);
  snapshot_.optimizer_steps = optimizer_->steps_taken;
  snapshot_.stream = stream_;
  snapshot_.run = run_;
}

void Trainer::roll_back() {
  network_->parameters() = snapshot_.parameters;
  network_->parameters_changed();
  auto state = optimizer_->state();
  for (std::size_t i = 0; i < state.size(); ++i) *state[i].second = snapshot_.optimizer_state[i];
  optimizer_->steps_taken = snapshot_.optimizer_steps;
  stream_ = snapshot_.stream;
  const double lr_scale = run_.lr_scale * 0.5;
  run_ = snapshot_.run;
  run_.lr_scale = lr_scale;
  batcher_->seek(run_.cursor);
}

double Trainer::evaluate() {
  // The processes split the validation streams and add up their losses.
  const infer::SpanScore score =
      infer::score_span(*network_, corpus_.ids, split_.val_begin, split_.val_end, config_.batch_size,
                        config_.seq_length, world_.rank(), world_.size(), hooks_.stop);
  double totals[3] = {score.nats, static_cast<double>(score.units), score.interrupted ? 1.0 : 0.0};
  world_.sum(totals, 3);
  // A pass a stop cut short is no evaluation: its figure would be of part of the split.
  return totals[1] == 0 || totals[2] > 0 ? std::numeric_limits<double>::quiet_NaN() : totals[0] / totals[1];
}

void Trainer::write_output(TrainingSummary& summary) {
  if (!world_.is_root()) return;
  ModelFile model;
  model.config = config_.model;
  model.vocabulary = corpus_.vocabulary;
  // The output is the model that validated best; without validation, the last one.
  model.tensors =
      nn::named_tensors(network_->layout(), best_parameters_.empty() ? network_->parameters() : best_parameters_);
  nlohmann::json training = training_json(config_, precision_);
  training["iterations"] = summary.iterations;
  training["best_step"] = run_.best_step;
  if (std::isfinite(summary.val_loss)) training["val_loss"] = summary.val_loss;
  model.training_json = training.dump();
  save_model_file(config_.output, model);
}

double Trainer::epoch_now() const {
  return static_cast<double>(run_.cursor.epoch) +
         static_cast<double>(run_.cursor.batch) / static_cast<double>(batcher_->batches_per_epoch());
}

// What the run is about to do, for the person watching.
void Trainer::announce() {
  if (resumed_) log_->note("resumed from " + last_checkpoint_ + " at iteration " + std::to_string(run_.step));
  if (config_.precision == Precision::bf16 && !nn::native_bf16())
    log_->warning("this CPU has no native bf16 (AVX512-BF16 or AMX); oneDNN emulates it, slower than --precision f32");
  char text[200];
  std::snprintf(text, sizeof text,
                "training a %dx%d %s (%zu parameters) on %zu units, vocabulary %zu, %zu batches per epoch",
                config_.model.layers, config_.model.hidden, std::string(to_string(config_.model.cell)).c_str(),
                network_->parameters().size(), split_.train_end - split_.train_begin, corpus_.vocabulary.size(),
                batcher_->batches_per_epoch());
  log_->note(text);
  if (config_.precision == Precision::automatic)
    log_->note("recurrent layers in " + std::string(to_string(precision_.precision)) + ": " + precision_.reason);
  if (world_.distributed())
    log_->note("data-parallel over " + std::to_string(world_.size()) + " processes, " + std::to_string(local_batch_) +
               " streams each; gradients summed with MPI_Allreduce" +
               (config_.overlap_allreduce ? " while backward runs" : " after backward"));
}

// Sets summary.stopped_by and returns true when a stop or a budget ends the run before the next step.
bool Trainer::should_stop(TrainingSummary& summary) {
  // A stop or the time limit on any process stops them all at the same step.
  if (const int code = world_.max(train::stop_code(hooks_.stop)); code != 0) {
    summary.stopped_by = train::stop_reason(code);
    summary.signal = code == train::stop_without_signal ? 0 : code;
  } else if (config_.max_iters > 0 && run_.step >= config_.max_iters) {
    summary.stopped_by = "max-iters";
  } else if (config_.max_epochs > 0 && static_cast<std::int64_t>(run_.cursor.epoch) >= config_.max_epochs) {
    summary.stopped_by = "max-epochs";
  } else if (config_.time_limit > 0 && world_.max(seconds_since(started_) >= config_.time_limit ? 1 : 0) != 0) {
    summary.stopped_by = "time-limit";
  } else if (config_.patience > 0 && run_.evals_without_improvement >= config_.patience) {
    summary.stopped_by = "patience";
  }
  return !summary.stopped_by.empty();
}

// The auto schedule under a time limit: at each evaluation, while the rate is still at its
// peak, the horizon moves to the iteration where the time runs out. The measured seconds per
// iteration include evaluations and checkpoints, and re-estimating follows a machine whose
// speed drifts; once the decay has begun the horizon stays, so rates already used stay.
void Trainer::estimate_horizon() {
  if (!horizon_from_time_ || progress_.trained_steps == 0 || train::decay_has_begun(schedule_, run_.step)) return;
  const double per_iteration = seconds_since(started_) / static_cast<double>(progress_.trained_steps);
  const double remaining = config_.time_limit - seconds_since(started_);
  schedule_.lr_decay_iters = run_.step + static_cast<std::int64_t>(std::max(0.0, remaining) / per_iteration);
  world_.broadcast(schedule_.lr_decay_iters);  // rank 0's clock decides, so every rank agrees
}

void Trainer::evaluate_and_checkpoint(bool force_checkpoint) {
  const double val = evaluate();
  progress_.last_eval_step = run_.step;
  bool best = false;
  if (std::isfinite(val)) {
    best = val < run_.best_val_loss;
    if (best) {
      run_.best_val_loss = val;
      run_.best_step = run_.step;
      run_.evals_without_improvement = 0;
      best_parameters_ = network_->parameters();
    } else {
      ++run_.evals_without_improvement;
    }
    log_->evaluation(
        {run_.step, epoch_now(), val, val * nats_to_bits, elapsed_before_ + seconds_since(started_), best});
  }
  estimate_horizon();
  if (config_.checkpoint_every == 0 || force_checkpoint) write_checkpoint(best);
}

// A loss or gradient that is not finite: roll back (returns normally) or throw TrainingDiverged.
void Trainer::handle_divergence(double loss, double norm) {
  const bool bad_loss = !std::isfinite(loss);
  const std::string what = std::string(bad_loss ? "the loss" : "the gradient norm") + " became " +
                           (std::isnan(bad_loss ? loss : norm) ? "NaN" : "infinite") + " at iteration " +
                           std::to_string(run_.step + 1);
  if (config_.on_divergence == "rollback" && rollbacks_ < max_rollbacks) {
    ++rollbacks_;
    roll_back();
    log_->note(what + "; rolled back to iteration " + std::to_string(run_.step) + " with the learning rate halved");
    return;
  }
  const std::string advice =
      rollbacks_ > 0 ? "; it diverged again after " + std::to_string(rollbacks_) + " rollbacks: lower --learning-rate"
                     : "; lower --learning-rate or pass --on-divergence=rollback";
  throw TrainingDiverged(what + "; the last good checkpoint is " +
                         (last_checkpoint_.empty() ? std::string("(none yet)") : last_checkpoint_) + advice);
}

// One optimizer step over the next batch, then its report, evaluation and checkpoint.
void Trainer::train_step() {
  const auto step_started = Clock::now();
  batcher_->next(batch_);
  if (batch_.starts_epoch) stream_.reset(config_.model, local_batch_);
  const double lr = train::learning_rate_at(schedule_, run_.step) * run_.lr_scale;
  if (horizon_from_time_ && !progress_.decay_announced && train::decay_has_begun(schedule_, run_.step)) {
    progress_.decay_announced = true;
    log_->note("the learning rate decays from iteration " + std::to_string(run_.step) + " to iteration " +
               std::to_string(schedule_.lr_decay_iters) + ", where --time-limit is expected to end");
  }
  // The step runs on masked recurrent weights; the mask is a function of the seed and the
  // step, so every process draws the same one and a resumed run draws the one it would have.
  if (weight_drop_) {
    weight_drop_->mask(network_->parameters(), static_cast<std::uint64_t>(run_.step));
    network_->parameters_changed();
  }
  reducer_->begin(network_->gradients().data(), network_->gradients().size());
  double loss = network_->train_batch(batch_.inputs.data(), batch_.targets.data(), config_.seq_length, local_batch_,
                                      stream_, config_.seed, static_cast<std::uint64_t>(run_.step), gradients_ready_);
  // Each process's loss and gradients are means over its equal share of the batch, so their
  // means over processes are those of the global batch.
  reducer_->finish();
  // The weights are back before anything reads them; dropped weights get no gradient.
  if (weight_drop_) weight_drop_->unmask(network_->parameters(), network_->gradients());
  if (world_.distributed()) {
    world_.sum(&loss, 1);
    loss /= static_cast<double>(world_.size());
  }
  const double norm = train::global_norm(network_->gradients());
  if (!std::isfinite(loss) || !std::isfinite(norm)) return handle_divergence(loss, norm);
  train::clip_to_norm(network_->gradients(), norm, config_.grad_clip);
  optimizer_->step(network_->parameters(), network_->gradients(), lr);
  network_->parameters_changed();
  ++run_.step;
  run_.cursor = batcher_->cursor();
  report_step(loss, norm, lr, seconds_since(step_started));
  if (run_.step % config_.eval_every == 0) {
    evaluate_and_checkpoint(false);
  } else if (config_.checkpoint_every > 0 && run_.step % config_.checkpoint_every == 0) {
    write_checkpoint(false);
  }
}

void Trainer::report_step(double loss, double norm, double lr, double step_seconds) {
  Progress& p = progress_;
  p.train_seconds += step_seconds;
  ++p.trained_steps;
  p.window_loss += loss;
  p.window_seconds += step_seconds;
  ++p.window_steps;
  p.last_train_loss = p.window_loss / static_cast<double>(p.window_steps);
  StepRecord record;
  record.iteration = run_.step;
  record.max_iters = config_.max_iters;
  record.epoch = epoch_now();
  record.train_loss = p.last_train_loss;
  record.val_loss = std::isfinite(run_.best_val_loss) ? run_.best_val_loss : -1.0;
  record.chars_per_second = static_cast<double>(units_per_step() * p.window_steps) / p.window_seconds;
  record.lr = lr;
  record.grad_norm = norm;
  record.seconds = elapsed_before_ + seconds_since(started_);
  const double per_step = p.train_seconds / static_cast<double>(p.trained_steps);
  if (config_.max_iters > 0) record.eta_seconds = per_step * static_cast<double>(config_.max_iters - run_.step);
  if (config_.time_limit > 0) {
    const double left = std::max(0.0, config_.time_limit - seconds_since(started_));
    record.eta_seconds = record.eta_seconds < 0 ? left : std::min(record.eta_seconds, left);
  }
  log_->step(record);
  if (p.window_steps >= config_.log_every) {
    p.window_loss = p.window_seconds = 0.0;
    p.window_steps = 0;
  }
}

// The end of the run, by budget or stop: a final evaluation and checkpoint (unless the last
// iteration had both), the figures, and the output unless the run was interrupted.
void Trainer::finish(TrainingSummary& summary) {
  if (!summary.interrupted() && progress_.last_eval_step != run_.step && run_.step > 0) {
    evaluate_and_checkpoint(true);
  } else if (last_checkpoint_step_ != run_.step) {
    write_checkpoint(false);
  }
  const Progress& p = progress_;
  summary.parameters = static_cast<std::int64_t>(network_->parameters().size());
  summary.iterations = run_.step;
  summary.epochs = epoch_now();
  summary.train_loss = p.last_train_loss;
  summary.best_val_loss = run_.best_val_loss;
  summary.val_loss = std::isfinite(run_.best_val_loss) ? run_.best_val_loss : std::numeric_limits<double>::quiet_NaN();
  summary.val_bpc = summary.val_loss * nats_to_bits;
  summary.chars_per_second =
      p.train_seconds > 0 ? static_cast<double>(units_per_step() * p.trained_steps) / p.train_seconds : 0.0;
  summary.last_checkpoint = last_checkpoint_;
  summary.output = config_.output;
  summary.precision = to_string(precision_.precision);
  summary.precision_reason = precision_.reason;
  summary.rank = world_.rank();
  summary.processes = world_.size();
  if (p.trained_steps > 0) summary.step_seconds = p.train_seconds / static_cast<double>(p.trained_steps);
  if (world_.distributed() && p.trained_steps > 0) report_allreduce(summary);
  if (!summary.interrupted()) write_output(summary);
  summary.seconds = seconds_since(started_);
  if (!config_.summary_path.empty())
    io::write_file_atomically(config_.summary_path, summary_json(summary).dump(2) + "\n");
}

void Trainer::report_allreduce(TrainingSummary& summary) {
  const double steps = static_cast<double>(progress_.trained_steps);
  summary.allreduce_seconds_per_step = reducer_->communication_seconds() / steps;
  summary.allreduce_wait_seconds_per_step = reducer_->waiting_seconds() / steps;
  char text[200];
  std::snprintf(text, sizeof text, "allreduce %.1f ms per step, %.1f ms of it not hidden behind backward; step %.1f ms",
                1e3 * summary.allreduce_seconds_per_step, 1e3 * summary.allreduce_wait_seconds_per_step,
                1e3 * summary.step_seconds);
  log_->note(text);
}

nlohmann::json Trainer::summary_json(const TrainingSummary& summary) const {
  const auto finite_or_null = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"iterations", summary.iterations},
          {"epochs", summary.epochs},
          {"train_loss", summary.train_loss},
          {"val_loss", finite_or_null(summary.val_loss)},
          {"val_bpc", finite_or_null(summary.val_bpc)},
          {"seconds", summary.seconds},
          {"chars_per_second", summary.chars_per_second},
          {"parameters", summary.parameters},
          {"precision", summary.precision},
          {"precision_reason", summary.precision_reason},
          {"stopped_by", summary.stopped_by},
          {"processes", summary.processes},
          {"step_seconds", summary.step_seconds},
          {"allreduce_seconds_per_step", summary.allreduce_seconds_per_step},
          {"allreduce_wait_seconds_per_step", summary.allreduce_wait_seconds_per_step},
          {"best_step", run_.best_step},
          {"checkpoint", summary.last_checkpoint},
          {"output", summary.interrupted() ? nlohmann::json(nullptr) : nlohmann::json(summary.output)}};
}

TrainingSummary Trainer::run() {
  started_ = Clock::now();
  if (!world_.is_root()) {
    // Rank 0 alone reports; the others train in silence.
    hooks_.observer = nullptr;
    config_.metrics_path.clear();
    config_.summary_path.clear();
  }
  log_ = std::make_unique<train::RunLog>(hooks_.observer, config_.log_every);
  try {
    prepare();
  } catch (const Interrupted&) {
    // Stopped while reading the corpus: nothing was trained, so there is nothing to keep.
    TrainingSummary summary;
    const int code = train::stop_code(hooks_.stop);
    summary.stopped_by = train::stop_reason(code);
    summary.signal = code == train::stop_without_signal ? 0 : code;
    summary.seconds = seconds_since(started_);
    return summary;
  }
  elapsed_before_ = run_.elapsed_seconds;
  log_->open_metrics(config_.metrics_path, resumed_);
  horizon_from_time_ = config_.lr_schedule == "auto" && config_.time_limit > 0;
  progress_.decay_announced = train::decay_has_begun(schedule_, run_.step);
  announce();
  TrainingSummary summary;
  while (!should_stop(summary)) train_step();
  finish(summary);
  return summary;
}

}  // namespace

TrainingSummary train_language_model(const TrainingConfig& config, const RunHooks& hooks) {
  return Trainer(config, hooks).run();
}

}  // namespace charloom
