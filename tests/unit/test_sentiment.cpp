// Sentiment: metrics against hand-computed figures, a separable toy learned perfectly, the
// transfer of a language model's encoder, and the training data checks.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "charloom/errors.hpp"
#include "charloom/model_file.hpp"
#include "charloom/sentiment.hpp"
#include "charloom/sentiment_training.hpp"
#include "charloom/training.hpp"
#include "test_helpers.hpp"

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
  config.quiet = true;
  return config;
}

}  // namespace

TEST_CASE("a separable toy (texts with 'good' against texts with 'bad') is learned perfectly") {
  const testing::TempFile train(separable(300), ".tsv"), dev(separable(80), ".tsv"), output("", ".safetensors");
  const SentimentTrainingSummary summary = train_sentiment_classifier(toy_config(train.path(), dev.path(), output.path()));
  CHECK(summary.dev_accuracy == 1.0);
  SentimentModel model = SentimentModel::load(output.path());
  const std::vector<double> scores =
      model.score({model.encode("a good film"), model.encode("a bad film"), model.encode("the plot was good and very")});
  CHECK(scores[0] > 0.9);
  CHECK(scores[1] < 0.1);
  CHECK(scores[2] > 0.9);
  // The trace ends at the text's score.
  const std::vector<double> trace = model.trace(model.encode("a bad film"));
  REQUIRE(trace.size() == 10);
  CHECK(trace.back() == doctest::Approx(scores[1]).epsilon(1e-5));
}

TEST_CASE("--init-from copies a language model's encoder; --freeze-encoder keeps it exactly") {
  const testing::TempFile corpus(separable(200), ".txt"), language_model("", ".safetensors");
  TrainingConfig lm;
  lm.corpus = {corpus.path()};
  lm.output = language_model.path();
  lm.model.layers = 1;
  lm.model.hidden = 16;
  lm.model.embedding_size = 8;
  lm.batch_size = 4;
  lm.seq_length = 16;
  lm.max_iters = 20;
  lm.checkpoint_dir = language_model.path() + ".checkpoints";
  lm.quiet = true;
  train_language_model(lm);
  const ModelFile source = load_model_file(language_model.path());

  const testing::TempFile train(separable(120), ".tsv"), dev(separable(40), ".tsv");
  const testing::TempFile frozen("", ".safetensors"), tuned("", ".safetensors");
  SentimentTrainingConfig config = toy_config(train.path(), dev.path(), frozen.path());
  config.init_from = language_model.path();
  config.freeze_encoder = true;
  config.max_epochs = 3;
  train_sentiment_classifier(config);
  config.freeze_encoder = false;
  config.output = tuned.path();
  train_sentiment_classifier(config);
  const ModelFile frozen_file = load_model_file(frozen.path()), tuned_file = load_model_file(tuned.path());
  CHECK(frozen_file.config.hidden == 16);  // the architecture came from the language model
  CHECK(frozen_file.vocabulary == source.vocabulary);
  int encoder_tensors = 0;
  for (const NamedTensor& tensor : source.tensors) {
    if (tensor.name.rfind("head.", 0) == 0) continue;
    ++encoder_tensors;
    CAPTURE(tensor.name);
    REQUIRE(frozen_file.find(tensor.name) != nullptr);
    CHECK(frozen_file.find(tensor.name)->values == tensor.values);
    CHECK(tuned_file.find(tensor.name)->values != tensor.values);
  }
  CHECK(encoder_tensors == 5);
  std::filesystem::remove_all(lm.checkpoint_dir);
}

TEST_CASE("training data with one class, an empty text or a bad label is refused with its line") {
  const testing::TempFile one_class("1\tgood\n1\tfine\n", ".tsv"), empty("1\tgood\n0\t\n", ".tsv");
  const testing::TempFile bad_label("1\tgood\nmaybe\tbad\n", ".tsv"), fine(separable(10), ".tsv"), output("", ".safetensors");
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
