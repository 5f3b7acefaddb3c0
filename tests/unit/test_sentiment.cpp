// Sentiment: metrics against hand-computed figures, a separable toy learned perfectly, the
// transfer of a language model's encoder and its gradual unfreezing, and the training data checks.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "charloom/errors.hpp"
#include "charloom/model_file.hpp"
#include "charloom/sentiment.hpp"
#include "charloom/sentiment_training.hpp"
#include "charloom/training.hpp"
#include "nn/classifier.hpp"
#include "nn/parameters.hpp"
#include "nn/random.hpp"
#include "test_helpers.hpp"
#include "train/checkpoints.hpp"
#include "train/probe.hpp"
#include "train/weight_drop.hpp"
#include "weight_drop_check.hpp"

using namespace charloom;

TEST_CASE("binary metrics equal hand-computed figures") {
  // Predicted positive: 0.9 and 0.8 (right), 0.6 (wrong); negative: 0.2 and 0.4 (right), 0.3 (wrong).
  const BinaryMetrics m = binary_metrics({0.9, 0.8, 0.3, 0.6, 0.2, 0.4}, {1, 1, 1, 0, 0, 0});
  CHECK(m.true_positive == 2);
  CHECK(m.false_positive == 1);
  CHECK(m.true_negative == 2);
  CHECK(m.false_negative == 1);
  CHECK(m.accuracy == doctest::Approx(4.0 / 6.0));
  CHECK(m.precision == doctest::Approx(2.0 / 3.0));
  CHECK(m.recall == doctest::Approx(2.0 / 3.0));
  CHECK(m.f1 == doctest::Approx(2.0 / 3.0));
  // Of the 9 positive-negative pairs, the positive outscores the negative in 7.
  CHECK(m.roc_auc == doctest::Approx(7.0 / 9.0));
  // The labels' probabilities: 0.9, 0.8, 0.3 for the positives, 0.4, 0.8, 0.6 for the negatives.
  CHECK(m.log_loss ==
        doctest::Approx(
            -(std::log(0.9) + std::log(0.8) + std::log(0.3) + std::log(0.4) + std::log(0.8) + std::log(0.6)) / 6));
  // Ties count half; a score at the threshold is positive.
  const BinaryMetrics tied = binary_metrics({0.5, 0.5}, {1, 0});
  CHECK(tied.roc_auc == doctest::Approx(0.5));
  CHECK(tied.true_positive == 1);
  CHECK(tied.false_positive == 1);
  // No predicted positives: precision and F1 are 0, not NaN; one class only: AUC 0.5.
  const BinaryMetrics none = binary_metrics({0.1, 0.2}, {1, 1});
  CHECK(none.precision == 0.0);
  CHECK(none.f1 == 0.0);
  CHECK(none.roc_auc == 0.5);
  CHECK(binary_metrics({0.0}, {1}).log_loss == doctest::Approx(-std::log(1e-15)));
}

namespace {

std::string separable(int count) {
  const char* fillers[] = {"the", "film", "was", "quite", "plot", "and", "story", "very"};
  std::string text;
  for (int i = 0; i < count; ++i) {
    const bool positive = i % 2 == 0;
    std::string words;
    for (int w = 0; w < 2 + i % 5; ++w) words += std::string(fillers[(i * 3 + w * 5) % 8]) + " ";
    const std::size_t at = (i % 3) * words.size() / 3;
    words.insert(at, positive ? "good " : "bad ");
    text += std::string(positive ? "1" : "0") + "\t" + words + "\n";
  }
  return text;
}

SentimentTrainingConfig toy_config(const std::string& train, const std::string& dev, const std::string& output) {
  SentimentTrainingConfig config;
  config.train_path = train;
  config.dev_path = dev;
  config.output = output;
  config.model.hidden = 24;
  config.model.embedding_size = 8;
  config.max_epochs = 25;
  config.patience = 0;
  config.checkpoint_dir = output + ".checkpoints";
  return config;
}

// Removes the checkpoint directories that runs writing to these outputs left behind.
struct CheckpointCleanup {
  std::vector<std::string> outputs;
  ~CheckpointCleanup() {
    for (const std::string& output : outputs) std::filesystem::remove_all(output + ".checkpoints");
  }
};

// A 1x16 LSTM language model of the toy texts, 20 iterations long unless told, as a classifier's start.
ModelFile train_tiny_language_model(const std::string& output, std::int64_t iterations = 20) {
  testing::train_tiny_language_model(separable(200), output, iterations);
  return load_model_file(output);
}

}  // namespace

TEST_CASE("a separable toy (texts with 'good' against texts with 'bad') is learned perfectly") {
  const testing::TempFile train(separable(300), ".tsv"), dev(separable(80), ".tsv"), output("", ".safetensors");
  const CheckpointCleanup cleanup{{output.path()}};
  const SentimentTrainingSummary summary =
      train_sentiment_classifier(toy_config(train.path(), dev.path(), output.path()));
  CHECK(summary.dev_accuracy == 1.0);
  SentimentModel model = SentimentModel::load(output.path());
  const std::vector<double> scores = model.score(
      {model.encode("a good film"), model.encode("a bad film"), model.encode("the plot was good and very")});
  CHECK(scores[0] > 0.9);
  CHECK(scores[1] < 0.1);
  CHECK(scores[2] > 0.9);
  // The trace ends at the text's score.
  const std::vector<double> trace = model.trace(model.encode("a bad film"));
  REQUIRE(trace.size() == 10);
  CHECK(trace.back() == doctest::Approx(scores[1]).epsilon(1e-5));
}

TEST_CASE("soft labels are fitted as given: the scores settle at the labels' probabilities, not at 0 and 1") {
  // Every 'good' text is labeled 0.8 and every 'bad' one 0.15; the logistic loss is least where
  // the score equals the label, so a classifier that separates the two scores them so.
  std::string soft = separable(300);
  for (std::size_t at = 0; at < soft.size(); at = soft.find('\n', at) + 1)
    soft.replace(at, 1, soft[at] == '1' ? "0.8" : "0.15");
  const testing::TempFile train(soft, ".tsv"), dev(separable(80), ".tsv"), output("", ".safetensors");
  const CheckpointCleanup cleanup{{output.path()}};
  SentimentTrainingConfig config = toy_config(train.path(), dev.path(), output.path());
  config.class_weight = "none";
  CHECK_THROWS_WITH_AS(train_sentiment_classifier(config), doctest::Contains("--soft-labels"), InputError);
  config.input.soft_labels = true;
  const SentimentTrainingSummary summary = train_sentiment_classifier(config);
  CHECK(summary.dev_accuracy == 1.0);  // dev's hard labels; the rounded soft ones agree
  SentimentModel model = SentimentModel::load(output.path());
  const std::vector<double> scores = model.score({model.encode("a good film"), model.encode("a bad film")});
  CHECK(scores[0] == doctest::Approx(0.8).epsilon(0.05));
  CHECK(scores[1] == doctest::Approx(0.15).epsilon(0.2));
}

TEST_CASE("--init-from copies a language model's encoder; --freeze-encoder and --probe keep it exactly") {
  const testing::TempFile language_model("", ".safetensors");
  const ModelFile source = train_tiny_language_model(language_model.path());

  const testing::TempFile train(separable(120), ".tsv"), dev(separable(40), ".tsv");
  const testing::TempFile frozen("", ".safetensors"), tuned("", ".safetensors"), probed("", ".safetensors");
  const CheckpointCleanup cleanup{{frozen.path(), tuned.path(), probed.path()}};
  SentimentTrainingConfig config = toy_config(train.path(), dev.path(), frozen.path());
  config.init_from = language_model.path();
  config.freeze_encoder = true;
  config.max_epochs = 3;
  train_sentiment_classifier(config);
  config.freeze_encoder = false;
  config.output = tuned.path();
  train_sentiment_classifier(config);
  config.output = probed.path();
  config.probe = "l1";
  const SentimentTrainingSummary probe_summary = train_sentiment_classifier(config);
  CHECK(probe_summary.stopped_by == "probe");
  CHECK(probe_summary.dev_accuracy > 0.5);
  const ModelFile frozen_file = load_model_file(frozen.path()), tuned_file = load_model_file(tuned.path());
  const ModelFile probed_file = load_model_file(probed.path());
  CHECK(frozen_file.config.hidden == 16);  // the architecture came from the language model
  CHECK(frozen_file.vocabulary == source.vocabulary);
  int encoder_tensors = 0;
  for (const NamedTensor& tensor : source.tensors) {
    if (tensor.name.rfind("head.", 0) == 0) continue;
    ++encoder_tensors;
    CAPTURE(tensor.name);
    REQUIRE(frozen_file.find(tensor.name) != nullptr);
    CHECK(frozen_file.find(tensor.name)->values == tensor.values);
    CHECK(probed_file.find(tensor.name)->values == tensor.values);
    CHECK(tuned_file.find(tensor.name)->values != tensor.values);
  }
  CHECK(encoder_tensors == 5);

  // A classifier as the start (an intermediate task): its classifier layer comes too. With the
  // encoder frozen and a rate too small to matter, the result is the starting classifier.
  const testing::TempFile continued("", ".safetensors");
  const CheckpointCleanup more{{continued.path()}};
  config.init_from = tuned.path();
  config.output = continued.path();
  config.probe.clear();
  config.freeze_encoder = true;
  config.max_epochs = 1;
  config.learning_rate = 1e-12;
  train_sentiment_classifier(config);
  const ModelFile continued_file = load_model_file(continued.path());
  for (const NamedTensor& tensor : tuned_file.tensors) {
    CAPTURE(tensor.name);
    REQUIRE(continued_file.find(tensor.name) != nullptr);
    const std::vector<float>& values = continued_file.find(tensor.name)->values;
    REQUIRE(values.size() == tensor.values.size());
    for (std::size_t i = 0; i < values.size(); ++i) CHECK(values[i] == doctest::Approx(tensor.values[i]).epsilon(1e-6));
  }
  CHECK(continued_file.find("classifier.weight")->values != probed_file.find("classifier.weight")->values);

  // Pooled otherwise, the encoder comes across and the classifier layer starts fresh, three
  // times as wide for concat.
  config.model.pool = Pooling::concat;
  train_sentiment_classifier(config);
  const ModelFile concat_file = load_model_file(continued.path());
  const std::vector<float>& recurrent = concat_file.find("rnn.weight_hh_l0")->values;
  for (std::size_t i = 0; i < recurrent.size(); ++i)
    CHECK(recurrent[i] == doctest::Approx(tuned_file.find("rnn.weight_hh_l0")->values[i]).epsilon(1e-6));
  CHECK(concat_file.find("classifier.weight")->values.size() ==
        3 * tuned_file.find("classifier.weight")->values.size());
}

TEST_CASE("--head-only-epochs keeps the encoder for those epochs, then trains it; cosine decays over --max-epochs") {
  const testing::TempFile language_model("", ".safetensors");
  const ModelFile source = train_tiny_language_model(language_model.path());

  const testing::TempFile train(separable(120), ".tsv"), dev(separable(40), ".tsv"), output("", ".safetensors");
  const testing::TempFile metrics("", ".jsonl");
  const CheckpointCleanup cleanup{{output.path()}};
  SentimentTrainingConfig config = toy_config(train.path(), dev.path(), output.path());
  config.init_from = language_model.path();
  config.head_only_epochs = 2;
  config.max_epochs = 4;
  config.keep_last = 0;
  config.lr_schedule = "cosine";
  config.metrics_path = metrics.path();
  train_sentiment_classifier(config);
  // Checkpoints hold the parameters at each epoch's end, iterations 4 a batch of 32 apart.
  for (int epoch = 1; epoch <= 4; ++epoch) {
    char name[64];
    std::snprintf(name, sizeof name, "/step-%09d.safetensors", 4 * epoch);
    std::string path;
    const ModelFile checkpoint = train::load_checkpoint(config.checkpoint_dir + name, path);
    for (const NamedTensor& tensor : source.tensors) {
      if (tensor.name.rfind("head.", 0) == 0) continue;
      CAPTURE(epoch);
      CAPTURE(tensor.name);
      REQUIRE(checkpoint.find(tensor.name) != nullptr);
      CHECK((checkpoint.find(tensor.name)->values == tensor.values) == (epoch <= 2));
    }
  }
  // One rate per epoch, at its last update: falling from below the peak towards the floor.
  std::vector<double> rates;
  std::vector<bool> trained;
  std::ifstream lines(metrics.path());
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json record = nlohmann::json::parse(line);
    rates.push_back(record["lr"].get<double>());
    trained.push_back(record["encoder_trained"].get<bool>());
  }
  REQUIRE(rates.size() == 4);
  CHECK(trained == std::vector<bool>{false, false, true, true});
  CHECK(rates[0] < config.learning_rate);
  for (std::size_t i = 1; i < rates.size(); ++i) CHECK(rates[i] < rates[i - 1]);
  CHECK(rates.back() > config.learning_rate * config.min_lr_fraction);
}

TEST_CASE("training data with one class, an empty text or a bad label is refused with its line") {
  const testing::TempFile one_class("1\tgood\n1\tfine\n", ".tsv"), empty("1\tgood\n0\t\n", ".tsv");
  const testing::TempFile bad_label("1\tgood\nmaybe\tbad\n", ".tsv"), fine(separable(10), ".tsv"),
      output("", ".safetensors");
  const CheckpointCleanup cleanup{{output.path()}};
  const auto message = [&](const std::string& train) {
    try {
      train_sentiment_classifier(toy_config(train, fine.path(), output.path()));
    } catch (const InputError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  CHECK(message(one_class.path()).find("has only positive labels; a classifier needs examples of both classes") !=
        std::string::npos);
  CHECK(message(empty.path()) == empty.path() + ":2: the text is empty; remove the line or give it text");
  CHECK(message(bad_label.path()).find(bad_label.path() + ":2: unknown label 'maybe'") == 0);
}

TEST_CASE("the probe recovers a planted single-unit signal") {
  // Twenty features of noise; the label is the sign of feature 7 (shifted and scaled, so the
  // probe must standardize), flipped for 3% of the texts.
  const auto make = [](std::size_t n, std::uint64_t seed) {
    train::FeatureSet set;
    set.width = 20;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < set.width; ++j) {
        const float u1 = std::max(nn::uniform01(seed, i, 2 * j), 1e-7f), u2 = nn::uniform01(seed, i, 2 * j + 1);
        set.rows.push_back(std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853f * u2));
      }
      const bool flipped = nn::uniform01(seed, 99999, i) < 0.03f;
      set.labels.push_back((set.rows[i * set.width + 7] > 0.0f) != flipped ? 1 : 0);
      set.rows[i * set.width + 7] = 3.0f + 0.5f * set.rows[i * set.width + 7];
    }
    return set;
  };
  const train::FeatureSet fit_set = make(600, 1), dev_set = make(200, 2);
  for (train::Penalty penalty : {train::Penalty::l1, train::Penalty::l2}) {
    const train::Probe probe = train::fit_probe(fit_set, dev_set, penalty, {0.001, 0.01, 0.1, 1.0, 10.0});
    const auto strongest = std::max_element(probe.weights.begin(), probe.weights.end(),
                                            [](double a, double b) { return std::abs(a) < std::abs(b); });
    CHECK(strongest - probe.weights.begin() == 7);
    CHECK(*strongest > 0.0);
    // L1 drops the noise features; L2 keeps small weights on them, which costs a little.
    CHECK(probe.dev_accuracy >= (penalty == train::Penalty::l1 ? 0.94 : 0.88));
    // The decision threshold sits at the raw feature's shifted zero: 3.0.
    CHECK(-probe.bias / probe.weights[7] == doctest::Approx(3.0).epsilon(0.05));
    if (penalty == train::Penalty::l1) CHECK(probe.nonzero <= 6);
  }
}

TEST_CASE("a classifier run resumed from its checkpoint ends bit-identical to one run straight through") {
  const testing::TempFile train(separable(120), ".tsv"), dev(separable(40), ".tsv");
  const testing::TempFile straight("", ".safetensors"), halves("", ".safetensors");
  const CheckpointCleanup cleanup{{straight.path(), halves.path()}};
  SentimentTrainingConfig config = toy_config(train.path(), dev.path(), straight.path());
  config.model.dropout = 0.2f;  // the dropout masks must continue exactly too
  config.ema_decay = 0.9;       // and the average of the weights
  config.max_epochs = 4;
  const SentimentTrainingSummary whole = train_sentiment_classifier(config);
  config = toy_config(train.path(), dev.path(), halves.path());
  config.model.dropout = 0.2f;
  config.ema_decay = 0.9;
  config.max_epochs = 2;
  const SentimentTrainingSummary first = train_sentiment_classifier(config);
  CHECK(first.iterations * 2 == whole.iterations);
  config.max_epochs = 4;
  config.resume = config.checkpoint_dir;  // the directory: its newest checkpoint
  const SentimentTrainingSummary second = train_sentiment_classifier(config);
  CHECK(second.iterations == whole.iterations);
  CHECK(second.dev_accuracy == whole.dev_accuracy);
  CHECK(second.best_epoch == whole.best_epoch);
  // The checkpoint carries each epoch's dev logits, so the half-fitted figure sees them all.
  CHECK(whole.dev_accuracy_half_fitted > 0.5);
  CHECK(whole.dev_accuracy_half_fitted <= whole.dev_accuracy);
  CHECK(second.dev_accuracy_half_fitted == whole.dev_accuracy_half_fitted);
  const ModelFile a = load_model_file(straight.path()), b = load_model_file(halves.path());
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    CAPTURE(a.tensors[i].name);
    CHECK(a.tensors[i].values == b.tensors[i].values);
  }
  // The newest checkpoints hold the same current parameters too.
  std::string path_a, path_b;
  const ModelFile last_a = train::load_checkpoint(straight.path() + ".checkpoints", path_a);
  const ModelFile last_b = train::load_checkpoint(halves.path() + ".checkpoints", path_b);
  for (std::size_t i = 0; i < last_a.tensors.size(); ++i) CHECK(last_a.tensors[i].values == last_b.tensors[i].values);
}

TEST_CASE("--ema-decay keeps a moving average of the weights, and dev accuracy picks the best average") {
  const testing::TempFile train(separable(120), ".tsv"), dev(separable(40), ".tsv"), output("", ".safetensors");
  const CheckpointCleanup cleanup{{output.path()}};
  SentimentTrainingConfig config = toy_config(train.path(), dev.path(), output.path());
  config.batch_size = 128;  // one step per epoch, so each checkpoint is one update of the average
  config.max_epochs = 6;
  config.ema_decay = 0.75;
  config.keep_last = 0;
  const SentimentTrainingSummary summary = train_sentiment_classifier(config);
  REQUIRE(summary.iterations == 6);
  std::vector<ModelFile> checkpoints;
  for (int epoch = 1; epoch <= 6; ++epoch) {
    char name[64];
    std::snprintf(name, sizeof name, "/step-%09d.safetensors", epoch);
    std::string path;
    checkpoints.push_back(train::load_checkpoint(config.checkpoint_dir + name, path));
  }
  // Each epoch's average is 0.75 of the last one plus 0.25 of the weights after its step.
  const nn::Classifier shape(checkpoints[0].config);
  const auto average_of = [&](const ModelFile& checkpoint) {
    REQUIRE(checkpoint.find("ema.parameters") != nullptr);
    return nn::named_tensors(shape.layout(), checkpoint.find("ema.parameters")->values);
  };
  for (std::size_t e = 1; e < checkpoints.size(); ++e) {
    const std::vector<NamedTensor> before = average_of(checkpoints[e - 1]), after = average_of(checkpoints[e]);
    for (std::size_t t = 0; t < after.size(); ++t) {
      const std::vector<float>& weights = checkpoints[e].find(after[t].name)->values;
      CAPTURE(after[t].name);
      for (std::size_t i = 0; i < weights.size(); ++i)
        CHECK(after[t].values[i] == doctest::Approx(0.75f * before[t].values[i] + 0.25f * weights[i]).epsilon(1e-6));
    }
    CHECK(after[0].values != checkpoints[e].find(after[0].name)->values);  // the average is not the weights
  }
  // The output is the average of the best epoch, not that epoch's weights.
  REQUIRE(summary.best_epoch >= 1);
  const ModelFile saved = load_model_file(output.path());
  const ModelFile& best = checkpoints[static_cast<std::size_t>(summary.best_epoch - 1)];
  for (const NamedTensor& tensor : average_of(best)) {
    CAPTURE(tensor.name);
    CHECK(saved.find(tensor.name)->values == tensor.values);
  }
  config.ema_decay = 1.0;
  CHECK_THROWS_AS(train_sentiment_classifier(config), UsageError);
}

TEST_CASE("--decay-to-pretrained pulls the encoder back towards the language model's weights, and resumes exactly") {
  const testing::TempFile language_model("", ".safetensors");
  const ModelFile source = train_tiny_language_model(language_model.path());
  const testing::TempFile train(separable(120), ".tsv"), dev(separable(40), ".tsv");
  const testing::TempFile free_run("", ".safetensors"), half("", ".safetensors"), full("", ".safetensors"),
      whole("", ".safetensors"), halves("", ".safetensors");
  const CheckpointCleanup cleanup{{free_run.path(), half.path(), full.path(), whole.path(), halves.path()}};
  const auto config_for = [&](const std::string& output, double pull, std::int64_t epochs) {
    SentimentTrainingConfig config = toy_config(train.path(), dev.path(), output);
    config.init_from = language_model.path();
    config.batch_size = 128;  // one step per epoch, so each checkpoint is one step and one pull
    config.max_epochs = epochs;
    config.keep_last = 0;
    config.decay_to_pretrained = pull / config.learning_rate;  // the fraction pulled back per step
    return config;
  };
  const auto checkpoint_at = [](const SentimentTrainingConfig& config, int step) {
    char name[64];
    std::snprintf(name, sizeof name, "/step-%09d.safetensors", step);
    std::string path;
    return train::load_checkpoint(config.checkpoint_dir + name, path);
  };
  const auto encoder_tensors = [&] {
    std::vector<const NamedTensor*> tensors;
    for (const NamedTensor& tensor : source.tensors)
      if (tensor.name.rfind("head.", 0) != 0) tensors.push_back(&tensor);
    return tensors;
  }();
  REQUIRE(encoder_tensors.size() >= 3);

  // From the same start, one step without the pull reaches w1; with half the pull, the
  // weights stop halfway between the language model's w0 and w1.
  const SentimentTrainingConfig free_config = config_for(free_run.path(), 0.0, 1),
                                half_config = config_for(half.path(), 0.5, 1);
  train_sentiment_classifier(free_config);
  train_sentiment_classifier(half_config);
  const ModelFile one_step = checkpoint_at(free_config, 1), pulled = checkpoint_at(half_config, 1);
  for (const NamedTensor* w0 : encoder_tensors) {
    const std::vector<float>& w1 = one_step.find(w0->name)->values;
    const std::vector<float>& w = pulled.find(w0->name)->values;
    CAPTURE(w0->name);
    CHECK(w1 != w0->values);
    for (std::size_t i = 0; i < w.size(); ++i)
      CHECK(w[i] == doctest::Approx(0.5f * (w0->values[i] + w1[i])).epsilon(1e-5));
  }
  // The classifier layer is not pulled: it takes the free run's step.
  CHECK(pulled.find("classifier.weight")->values == one_step.find("classifier.weight")->values);

  // The whole pull keeps the encoder at the language model's weights while the layer learns.
  const SentimentTrainingConfig full_config = config_for(full.path(), 1.0, 3);
  train_sentiment_classifier(full_config);
  for (int step = 1; step <= 3; ++step) {
    const ModelFile checkpoint = checkpoint_at(full_config, step);
    for (const NamedTensor* w0 : encoder_tensors) {
      const std::vector<float>& w = checkpoint.find(w0->name)->values;
      CAPTURE(step);
      CAPTURE(w0->name);
      for (std::size_t i = 0; i < w.size(); ++i) CHECK(w[i] == doctest::Approx(w0->values[i]).epsilon(1e-6));
    }
  }

  // Resumed, the run keeps pulling towards the same weights: 2 epochs, then 2 more, end where
  // 4 in one go end.
  SentimentTrainingConfig straight = config_for(whole.path(), 0.5, 4), split = config_for(halves.path(), 0.5, 2);
  train_sentiment_classifier(straight);
  train_sentiment_classifier(split);
  split.max_epochs = 4;
  split.init_from.clear();
  split.resume = split.checkpoint_dir;
  train_sentiment_classifier(split);
  const ModelFile a = checkpoint_at(straight, 4), b = checkpoint_at(split, 4);
  for (const NamedTensor& tensor : a.tensors) CHECK(tensor.values == b.find(tensor.name)->values);

  SentimentTrainingConfig fresh = toy_config(train.path(), dev.path(), free_run.path());
  fresh.decay_to_pretrained = 1.0;  // nothing to pull towards
  CHECK_THROWS_AS(train_sentiment_classifier(fresh), UsageError);
  fresh = config_for(free_run.path(), 1.5, 1);  // past the pretrained weights
  CHECK_THROWS_AS(train_sentiment_classifier(fresh), UsageError);
}

TEST_CASE("--weight-drop masks the recurrent weights per step and sends gradients only through the kept ones") {
  ModelConfig model;
  model.layers = 2;
  model.hidden = 16;
  model.embedding_size = 4;
  model.vocabulary_size = 7;
  const nn::Classifier shape(model);
  const nn::ParameterLayout& layout = shape.layout();
  std::vector<float> weights(layout.total());
  for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = 0.25f + static_cast<float>(i % 97);
  const std::vector<float> original = weights;
  std::vector<float> gradients(layout.total(), 2.0f);

  train::WeightDrop drop(layout, 0.25, 7);
  drop.mask(weights, 3);
  std::size_t recurrent = 0, dropped = 0;
  for (const nn::TensorInfo& tensor : layout.tensors()) {
    const bool is_recurrent = tensor.name.rfind("rnn.weight_hh_", 0) == 0;
    for (std::size_t i = tensor.offset; i < tensor.offset + tensor.size(); ++i) {
      CAPTURE(tensor.name);
      if (!is_recurrent) {
        CHECK(weights[i] == original[i]);
        continue;
      }
      ++recurrent;
      dropped += !drop.kept(3, i);
      CHECK(weights[i] == (drop.kept(3, i) ? doctest::Approx(original[i] / 0.75f) : doctest::Approx(0.0)));
    }
  }
  // Two layers of (4H, H): 2 * 64 * 16 elements, about a quarter dropped (4 sigma: +-55).
  REQUIRE(recurrent == 2048);
  CHECK(dropped > 512 - 55);
  CHECK(dropped < 512 + 55);
  drop.unmask(weights, gradients);
  CHECK(weights == original);
  for (const nn::TensorInfo& tensor : layout.tensors())
    for (std::size_t i = tensor.offset; i < tensor.offset + tensor.size(); ++i)
      CHECK(gradients[i] == (tensor.name.rfind("rnn.weight_hh_", 0) != 0 ? 2.0f
                             : drop.kept(3, i)                           ? 2.0f / 0.75f
                                                                         : 0.0f));
  // Another step draws another mask; the same step, the same one.
  std::size_t differ = 0;
  const std::size_t hh = layout.find("rnn.weight_hh_l0").offset;
  for (std::size_t i = hh; i < hh + 1024; ++i) differ += drop.kept(3, i) != drop.kept(4, i);
  CHECK(differ > 200);
  CHECK(train::WeightDrop(layout, 0.25, 7).kept(3, hh + 5) == drop.kept(3, hh + 5));

  // In training, a dropped weight gets no gradient: Adam's first step leaves exactly the
  // dropped recurrent weights where they were, and moves the kept ones.
  const testing::TempFile train(separable(120), ".tsv"), dev(separable(40), ".tsv"), output("", ".safetensors");
  const CheckpointCleanup cleanup{{output.path()}};
  SentimentTrainingConfig config = toy_config(train.path(), dev.path(), output.path());
  config.batch_size = 128;
  config.max_epochs = 1;
  config.weight_drop = 0.5;
  train_sentiment_classifier(config);
  nn::Classifier start(load_model_file(output.path()).config);
  start.initialize(config.seed);
  std::string path;
  testing::check_first_step_weight_drop(start.layout(), start.parameters(),
                                        train::load_checkpoint(config.checkpoint_dir, path), 0.5, config.seed);
  config.weight_drop = 1.0;
  CHECK_THROWS_AS(train_sentiment_classifier(config), UsageError);
}

TEST_CASE("--lm-loss-weight keeps the encoder a better language model, stays out of the output and resumes exactly") {
  const testing::TempFile language_model("", ".safetensors");
  train_tiny_language_model(language_model.path(), 300);
  const testing::TempFile train(separable(120), ".tsv"), dev(separable(40), ".tsv");
  const testing::TempFile faint("", ".safetensors"), whole("", ".safetensors"), halves("", ".safetensors");
  const CheckpointCleanup cleanup{{faint.path(), whole.path(), halves.path()}};
  const auto config_for = [&](const std::string& output, double weight, std::int64_t epochs) {
    SentimentTrainingConfig config = toy_config(train.path(), dev.path(), output);
    config.init_from = language_model.path();
    config.model.dropout = 0.2f;  // the dropout masks must continue exactly on resuming
    config.max_epochs = epochs;
    config.learning_rate = 0.01;
    config.lm_loss_weight = weight;
    return config;
  };

  // A faint weight leaves the encoder to the classifier's loss alone (the head still follows
  // it, Adam being blind to scale); a full weight also trains it to predict the next unit.
  const SentimentTrainingSummary faint_run = train_sentiment_classifier(config_for(faint.path(), 1e-6, 20));
  const SentimentTrainingSummary full_run = train_sentiment_classifier(config_for(whole.path(), 1.0, 20));
  CAPTURE(faint_run.lm_loss);
  CAPTURE(full_run.lm_loss);
  CAPTURE(faint_run.dev_accuracy);
  CHECK(full_run.lm_loss > 0.3);  // a 300-iteration model of these texts is no oracle
  CHECK(full_run.lm_loss < 0.9 * faint_run.lm_loss);
  CHECK(full_run.dev_accuracy >= 0.9);

  // The head is the training's, not the model's: the output holds the classifier's tensors.
  const ModelFile output = load_model_file(whole.path());
  for (const NamedTensor& tensor : output.tensors) CHECK(tensor.name.rfind("head.", 0) != 0);
  CHECK(nlohmann::json::parse(output.training_json)["lm_loss_weight"] == 1.0);

  // 10 epochs, then 10 more from the checkpoint, end where 20 in one go end: the head and its
  // optimizer's moments are in the checkpoint.
  SentimentTrainingConfig split = config_for(halves.path(), 1.0, 10);
  train_sentiment_classifier(split);
  split.max_epochs = 20;
  split.init_from.clear();
  split.resume = split.checkpoint_dir;
  const SentimentTrainingSummary resumed = train_sentiment_classifier(split);
  CHECK(resumed.lm_loss == full_run.lm_loss);
  const ModelFile a = load_model_file(whole.path()), b = load_model_file(halves.path());
  for (const NamedTensor& tensor : a.tensors) CHECK(tensor.values == b.find(tensor.name)->values);
  std::string path_a, path_b;
  const ModelFile last_a = train::load_checkpoint(whole.path() + ".checkpoints", path_a);
  const ModelFile last_b = train::load_checkpoint(halves.path() + ".checkpoints", path_b);
  for (const char* name : {"lm_head.parameters", "lm_head.optimizer.exp_avg"}) {
    CAPTURE(name);
    const auto find_extra = [&](const ModelFile& file) -> const NamedTensor* {
      for (const NamedTensor& t : file.extra_tensors)
        if (t.name == name) return &t;
      return nullptr;
    };
    REQUIRE(find_extra(last_a) != nullptr);
    REQUIRE(find_extra(last_b) != nullptr);
    CHECK(find_extra(last_a)->values == find_extra(last_b)->values);
  }

  // It needs a language model to start from, and an encoder that trains.
  SentimentTrainingConfig bad = toy_config(train.path(), dev.path(), faint.path());
  bad.lm_loss_weight = 0.5;
  CHECK_THROWS_AS(train_sentiment_classifier(bad), UsageError);
  bad = config_for(faint.path(), 0.5, 1);
  bad.freeze_encoder = true;
  CHECK_THROWS_AS(train_sentiment_classifier(bad), UsageError);
  bad = config_for(faint.path(), 0.5, 1);
  bad.init_from = whole.path();  // a classifier: it has no head to predict with
  CHECK_THROWS_AS(train_sentiment_classifier(bad), UsageError);
}

TEST_CASE("a classifier's run reports each epoch to its observer and stops on request") {
  const testing::TempFile train(separable(120), ".tsv"), dev(separable(40), ".tsv"), output("", ".safetensors");
  CheckpointCleanup cleanup{{output.path()}};
  SentimentTrainingConfig config = toy_config(train.path(), dev.path(), output.path());
  config.max_epochs = 3;
  struct Epochs : TrainingObserver {
    std::vector<EpochRecord> epochs;
    StopRequest* stop = nullptr;
    void on_epoch(const EpochRecord& record) override {
      epochs.push_back(record);
      if (stop != nullptr) stop->request_stop();
    }
  } observer;
  const SentimentTrainingSummary summary = train_sentiment_classifier(config, {&observer, nullptr});
  REQUIRE(observer.epochs.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(observer.epochs[i].epoch == static_cast<std::int64_t>(i + 1));
  const auto best = std::find_if(observer.epochs.rbegin(), observer.epochs.rend(), [](auto& e) { return e.best; });
  REQUIRE(best != observer.epochs.rend());
  CHECK(best->epoch == summary.best_epoch);
  CHECK(best->dev_accuracy == summary.dev_accuracy);
  CHECK_FALSE(observer.epochs.front().has_class_models);

  // A stop asked for during the first epoch's report ends the run after the next batch.
  observer.epochs.clear();
  StopRequest stop;
  observer.stop = &stop;
  config.max_epochs = 5;
  const SentimentTrainingSummary stopped = train_sentiment_classifier(config, {&observer, &stop});
  CHECK(stopped.stopped_by == "stop-request");
  CHECK(observer.epochs.size() == 1);
  CHECK(stopped.iterations == summary.iterations / 3 + 1);
}
