// Training: exact resume, overfitting a tiny corpus, schedules and optimizer arithmetic.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "charloom/errors.hpp"
#include "charloom/model_file.hpp"
#include "charloom/training.hpp"
#include "nn/network.hpp"
#include "test_helpers.hpp"
#include "train/optimizer.hpp"
#include "train/schedule.hpp"
#include "weight_drop_check.hpp"

using namespace charloom;
namespace fs = std::filesystem;

namespace {

// A scratch directory removed at the end of the test.
struct TempDirectory {
  fs::path path;
  TempDirectory() {
    static int counter = 0;
    path =
        fs::temp_directory_path() / ("charloom-train-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDirectory() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string repeated_text(std::size_t bytes) {
  const std::string sentence = "The quick brown fox jumps over the lazy dog; the loom hums. ";
  std::string text;
  while (text.size() < bytes) text += sentence;
  return text;
}

TrainingConfig small_config(const std::string& corpus, const TempDirectory& dir, const std::string& name) {
  TrainingConfig config;
  config.corpus = {corpus};
  config.output = dir.file(name + ".safetensors");
  config.checkpoint_dir = dir.file(name + ".checkpoints");
  config.model.layers = 2;
  config.model.hidden = 16;
  config.model.embedding_size = 8;
  config.model.dropout = 0.1f;
  config.batch_size = 4;
  config.seq_length = 16;
  config.eval_every = 6;
  config.keep_last = 0;
  return config;
}

void check_identical(const ModelFile& a, const ModelFile& b) {
  REQUIRE(a.tensors.size() == b.tensors.size());
  REQUIRE(a.extra_tensors.size() == b.extra_tensors.size());
  for (const auto* list : {&a.tensors, &a.extra_tensors}) {
    for (const NamedTensor& tensor : *list) {
      CAPTURE(tensor.name);
      const NamedTensor* other = b.find(tensor.name);
      REQUIRE(other != nullptr);
      REQUIRE(other->values.size() == tensor.values.size());
      CHECK(std::memcmp(other->values.data(), tensor.values.data(), tensor.values.size() * sizeof(float)) == 0);
    }
  }
}

}  // namespace

TEST_CASE("training N steps, then resuming for N more, gives bit-identical weights and state") {
  // Weight drop's masks must come back as they were drawn, too.
  for (const auto& run : {std::pair{"lstm", 0.0}, std::pair{"gru", 0.0}, std::pair{"lstm", 0.3}}) {
    // Plain variables, not structured bindings, which doctest's CAPTURE cannot capture under clang.
    const char* cell = run.first;
    const double weight_drop = run.second;
    CAPTURE(cell);
    CAPTURE(weight_drop);
    TempDirectory dir;
    testing::TempFile corpus(repeated_text(6000));
    TrainingConfig straight = small_config(corpus.path(), dir, "straight");
    straight.model.cell = parse_cell_kind(cell);
    straight.weight_drop = weight_drop;
    straight.max_iters = 24;
    const TrainingSummary whole = train_language_model(straight);
    CHECK(whole.iterations == 24);

    TrainingConfig first = small_config(corpus.path(), dir, "split");
    first.model.cell = straight.model.cell;
    first.weight_drop = weight_drop;
    first.max_iters = 12;
    CHECK(train_language_model(first).iterations == 12);
    TrainingConfig second = first;
    second.max_iters = 24;
    second.resume = first.checkpoint_dir;  // the newest checkpoint in the directory
    const TrainingSummary resumed = train_language_model(second);
    CHECK(resumed.iterations == 24);

    check_identical(load_model_file(dir.file("straight.checkpoints/step-000000024.safetensors")),
                    load_model_file(dir.file("split.checkpoints/step-000000024.safetensors")));
    check_identical(load_model_file(straight.output), load_model_file(second.output));
  }
}

TEST_CASE("--weight-drop trains the language model through the kept recurrent weights only") {
  TempDirectory dir;
  testing::TempFile corpus(repeated_text(6000));
  TrainingConfig config = small_config(corpus.path(), dir, "dropped");
  config.weight_drop = 0.5;
  config.max_iters = 1;
  config.eval_every = 1;
  train_language_model(config);
  // One Adam step from the initial weights: a weight with no gradient does not move at all.
  nn::Network start(load_model_file(config.output).config);
  start.initialize(config.seed);
  testing::check_first_step_weight_drop(start.layout(), start.parameters(), load_model_file(config.output),
                                        config.weight_drop, config.seed);
  config.weight_drop = 1.0;
  CHECK_THROWS_AS(train_language_model(config), UsageError);
}

TEST_CASE("the loss on a tiny repetitive corpus falls to near zero") {
  TempDirectory dir;
  testing::TempFile corpus(repeated_text(3000));
  TrainingConfig config = small_config(corpus.path(), dir, "overfit");
  config.model.layers = 1;
  config.model.hidden = 64;
  config.model.dropout = 0.0f;
  config.learning_rate = 1e-2;
  config.max_iters = 300;
  config.eval_every = 100;
  config.val_fraction = 0.2;
  const TrainingSummary summary = train_language_model(config);
  CHECK(summary.train_loss < 0.05);
  CHECK(summary.val_loss < 0.05);  // the validation text repeats the same sentence

  // --init-from: a run on new text starts from that model, vocabulary, architecture and
  // weights. One step at a negligible rate keeps its near-zero loss, where a fresh model
  // would start near log(vocabulary); a unit the model never saw reads as <unk>.
  testing::TempFile new_text(repeated_text(3000) + "\u00e9\u00e9");
  TrainingConfig tune = small_config(new_text.path(), dir, "tuned");
  tune.init_from = config.output;
  tune.learning_rate = 1e-12;
  tune.max_iters = 1;
  tune.val_fraction = 0.2;
  const TrainingSummary tuned = train_language_model(tune);
  CHECK(tuned.val_loss < 0.1);  // the two <unk> at the end cost a little
  const ModelFile source = load_model_file(config.output), result = load_model_file(tune.output);
  CHECK(result.config.hidden == 64);
  CHECK(result.config.layers == 1);
  CHECK(result.vocabulary == source.vocabulary);
  for (const NamedTensor& tensor : source.tensors) {
    CAPTURE(tensor.name);
    const std::vector<float>& values = result.find(tensor.name)->values;
    for (std::size_t i = 0; i < values.size(); ++i) CHECK(values[i] == doctest::Approx(tensor.values[i]).epsilon(1e-6));
  }
  tune.model.hidden = 32;
  tune.architecture_given = true;
  CHECK_THROWS_AS(train_language_model(tune), UsageError);
}

TEST_CASE("learning-rate schedules give the documented values") {
  TrainingConfig config;
  config.learning_rate = 1.0;
  CHECK(train::learning_rate_at(train::schedule_settings(config), 0) == 1.0);
  CHECK(train::learning_rate_at(train::schedule_settings(config), 999) == 1.0);
  config.warmup_iters = 4;
  CHECK(train::learning_rate_at(train::schedule_settings(config), 0) == doctest::Approx(0.25));
  CHECK(train::learning_rate_at(train::schedule_settings(config), 3) == doctest::Approx(1.0));
  config.lr_schedule = "step";
  config.lr_decay_every = 10;
  config.lr_decay_rate = 0.5;
  CHECK(train::learning_rate_at(train::schedule_settings(config), 9) == doctest::Approx(1.0));
  CHECK(train::learning_rate_at(train::schedule_settings(config), 25) == doctest::Approx(0.25));
  config.lr_schedule = "cosine";
  config.warmup_iters = 0;
  config.max_iters = 100;
  config.min_lr_fraction = 0.1;
  CHECK(train::learning_rate_at(train::schedule_settings(config), 0) == doctest::Approx(1.0));
  CHECK(train::learning_rate_at(train::schedule_settings(config), 50) == doctest::Approx(0.55));
  CHECK(train::learning_rate_at(train::schedule_settings(config), 100) == doctest::Approx(0.1));
  CHECK(train::learning_rate_at(train::schedule_settings(config), 500) == doctest::Approx(0.1));
  // A decay fraction holds the peak, then fits the same cosine into the horizon's last fifth.
  config.lr_decay_fraction = 0.2;
  CHECK(train::learning_rate_at(train::schedule_settings(config), 79) == 1.0);
  CHECK(train::learning_rate_at(train::schedule_settings(config), 80) == doctest::Approx(1.0));
  CHECK(train::learning_rate_at(train::schedule_settings(config), 90) == doctest::Approx(0.55));
  CHECK(train::learning_rate_at(train::schedule_settings(config), 100) == doctest::Approx(0.1));
  CHECK_FALSE(train::decay_has_begun(train::schedule_settings(config), 80));
  CHECK(train::decay_has_begun(train::schedule_settings(config), 81));
  config.lr_decay_fraction = 1.5;
  CHECK_THROWS_AS(train::validate_schedule(train::schedule_settings(config)), UsageError);
  config.lr_decay_fraction = 0.0;  // cosine's own: the whole horizon
  CHECK(train::learning_rate_at(train::schedule_settings(config), 50) == doctest::Approx(0.55));
  config.max_iters = 0;
  CHECK_THROWS_AS(train::validate_schedule(train::schedule_settings(config)), UsageError);
  // auto is constant until the trainer sets a horizon, then cosine to it.
  config.lr_schedule = "auto";
  config.lr_decay_iters = 0;
  CHECK_NOTHROW(train::validate_schedule(train::schedule_settings(config)));
  CHECK(train::learning_rate_at(train::schedule_settings(config), 5000) == 1.0);
  CHECK_FALSE(train::decay_has_begun(train::schedule_settings(config), 5000));
  config.lr_decay_iters = 100;  // auto's own share: the last 40%
  CHECK(train::learning_rate_at(train::schedule_settings(config), 60) == doctest::Approx(1.0));
  CHECK(train::learning_rate_at(train::schedule_settings(config), 80) == doctest::Approx(0.55));
  CHECK(train::decay_has_begun(train::schedule_settings(config), 61));
  config.lr_schedule = "linear";
  CHECK_THROWS_AS(train::validate_schedule(train::schedule_settings(config)), UsageError);
}

TEST_CASE("optimizer updates follow PyTorch's formulas") {
  TrainingConfig config;
  std::vector<float> parameters{1.0f, -2.0f}, gradients{0.5f, -0.25f};
  auto adam = train::make_optimizer(train::optimizer_settings(config), 2);
  adam->step(parameters, gradients, 0.1);
  // After one Adam step the bias-corrected update is lr * g / (|g| + eps) = lr * sign(g).
  CHECK(parameters[0] == doctest::Approx(0.9).epsilon(1e-6));
  CHECK(parameters[1] == doctest::Approx(-1.9).epsilon(1e-6));

  config.optimizer = "sgd";
  config.momentum = 0.5;
  parameters = {1.0f};
  gradients = {2.0f};
  auto sgd = train::make_optimizer(train::optimizer_settings(config), 1);
  sgd->step(parameters, gradients, 0.1);  // buffer = 2
  sgd->step(parameters, gradients, 0.1);  // buffer = 0.5 * 2 + 2 = 3
  CHECK(parameters[0] == doctest::Approx(1.0 - 0.2 - 0.3));

  config.optimizer = "rmsprop";
  config.beta2 = 0.99;
  config.epsilon = 0.0;
  parameters = {1.0f};
  auto rmsprop = train::make_optimizer(train::optimizer_settings(config), 1);
  rmsprop->step(parameters, gradients, 0.1);  // v = 0.01 * 4; step = 0.1 * 2 / 0.2
  CHECK(parameters[0] == doctest::Approx(0.0).epsilon(1e-6));

  config.optimizer = "adagrad";
  CHECK_THROWS_AS(train::make_optimizer(train::optimizer_settings(config), 1), UsageError);
}

TEST_CASE("the global norm and clipping") {
  std::vector<float> values(200000, 0.0f);
  values[3] = 3.0f;
  values[150000] = 4.0f;
  const double norm = train::global_norm(values);
  CHECK(norm == doctest::Approx(5.0));
  train::clip_to_norm(values, norm, 1.0);
  CHECK(train::global_norm(values) == doctest::Approx(1.0).epsilon(1e-5));
  train::clip_to_norm(values, 1.0, 5.0);  // under the limit: unchanged
  CHECK(values[150000] == doctest::Approx(0.8).epsilon(1e-5));
}

TEST_CASE("bad training settings are usage errors") {
  TempDirectory dir;
  testing::TempFile corpus(repeated_text(3000));
  TrainingConfig config = small_config(corpus.path(), dir, "bad");
  config.max_iters = 1;
  auto fails_with = [&](const TrainingConfig& changed, const char* text) {
    CHECK_THROWS_WITH_AS(train_language_model(changed), doctest::Contains(text), UsageError);
  };
  TrainingConfig c = config;
  c.batch_size = 0;
  fails_with(c, "--batch-size must be from 1");
  c = config;
  c.model.hidden = -3;
  fails_with(c, "--hidden must be from 1");
  c = config;
  c.model.layers = 1000;
  fails_with(c, "--layers must be from 1 to 64");
  c = config;
  c.batch_size = 400;  // 400 streams x 16 steps need more text than 2,700 training units
  fails_with(c, "needs at least 6401");
  c = config;
  c.learning_rate = -1;
  fails_with(c, "--learning-rate must be positive");
  c = config;
  c.model.dropout = 1.0f;
  fails_with(c, "--dropout must be in [0, 1)");
}

namespace {

// Keeps every record a run reports, and asks the run to stop, from another thread, once it has
// seen `stop_after` steps.
class Recorder : public TrainingObserver {
 public:
  explicit Recorder(StopRequest* stop = nullptr, std::int64_t stop_after = 0) : stop_(stop), stop_after_(stop_after) {}
  void on_step(const StepRecord& record) override {
    steps.push_back(record);
    if (stop_ != nullptr && record.iteration == stop_after_)
      // The request comes from another thread, as a server's or a signal watcher's would.
      std::thread([stop = stop_] { stop->request_stop(); }).join();
  }
  void on_evaluation(const EvaluationRecord& record) override { evaluations.push_back(record); }
  void on_note(NoteKind kind, const std::string& text) override { notes.emplace_back(kind, text); }
  std::vector<StepRecord> steps;
  std::vector<EvaluationRecord> evaluations;
  std::vector<std::pair<NoteKind, std::string>> notes;

 private:
  StopRequest* stop_;
  std::int64_t stop_after_;
};

}  // namespace

TEST_CASE("a run reports every step and evaluation to its observer, as the metrics file has them") {
  TempDirectory dir;
  testing::TempFile corpus(repeated_text(3000));
  TrainingConfig config = small_config(corpus.path(), dir, "observed");
  config.max_iters = 12;
  config.log_every = 1;
  config.metrics_path = dir.file("metrics.jsonl");
  Recorder recorder;
  const TrainingSummary summary = train_language_model(config, {&recorder, nullptr});
  REQUIRE(recorder.steps.size() == 12);
  CHECK(recorder.steps.back().iteration == 12);
  CHECK(recorder.steps.back().max_iters == 12);
  REQUIRE(recorder.evaluations.size() == 2);  // at iterations 6 and 12
  CHECK(recorder.evaluations.back().val_loss == summary.val_loss);
  CHECK(recorder.evaluations.back().val_bpc == doctest::Approx(summary.val_bpc));
  REQUIRE_FALSE(recorder.notes.empty());
  CHECK(recorder.notes.front().second.rfind("training a 2x16 lstm", 0) == 0);
  // The metrics file holds the same figures, record for record.
  std::ifstream metrics(config.metrics_path);
  std::size_t train_lines = 0, eval_lines = 0;
  for (std::string line; std::getline(metrics, line);) {
    const bool train = line.find("\"type\":\"train\"") != std::string::npos;
    if (train) {
      const StepRecord& step = recorder.steps[train_lines++];
      CHECK(line.find("\"iteration\":" + std::to_string(step.iteration) + ",") != std::string::npos);
    } else {
      ++eval_lines;
    }
  }
  CHECK(train_lines == 12);
  CHECK(eval_lines == 2);
}

TEST_CASE("a stop requested from another thread ends the run with a checkpoint it resumes from exactly") {
  TempDirectory dir;
  testing::TempFile corpus(repeated_text(6000));
  TrainingConfig config = small_config(corpus.path(), dir, "stopped");
  config.max_iters = 20;
  StopRequest stop;
  Recorder recorder(&stop, 7);
  const TrainingSummary stopped = train_language_model(config, {&recorder, &stop});
  CHECK(stopped.stopped_by == "stop-request");
  CHECK(stopped.signal == 0);
  CHECK(stopped.interrupted());
  CHECK(stopped.iterations == 7);                       // the step under way when the request came finished, no more
  CHECK_FALSE(std::filesystem::exists(config.output));  // a stopped run writes a checkpoint, not its output
  REQUIRE_FALSE(stopped.last_checkpoint.empty());

  config.resume = stopped.last_checkpoint;
  const TrainingSummary resumed = train_language_model(config);
  CHECK(resumed.stopped_by == "max-iters");
  TrainingConfig straight = small_config(corpus.path(), dir, "straight");
  straight.max_iters = 20;
  train_language_model(straight);
  check_identical(load_model_file(straight.output), load_model_file(config.output));
}
