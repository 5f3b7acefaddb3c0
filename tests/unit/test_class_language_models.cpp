// A sentiment classifier's class language models: the score adds their weighted
// log-likelihood ratio, computed here from the language models on their own; the weight's fit
// on dev; the model file's round trip; and the refusals.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "charloom/errors.hpp"
#include "charloom/language_model.hpp"
#include "charloom/model_file.hpp"
#include "charloom/scoring.hpp"
#include "charloom/sentiment.hpp"
#include "charloom/sentiment_training.hpp"
#include "charloom/training.hpp"
#include "nn/random.hpp"
#include "test_helpers.hpp"
#include "train/class_model_weight.hpp"

using namespace charloom;

namespace {

// Labeled texts: positive ones praise ("good", "fine"), negative ones pan ("bad", "dull").
std::string reviews(int count, int offset = 0) {
  const char* fillers[] = {"the", "film", "was", "quite", "plot", "and", "story", "very"};
  std::string text;
  for (int i = offset; i < offset + count; ++i) {
    const bool positive = i % 2 == 0;
    std::string words;
    for (int w = 0; w < 2 + i % 4; ++w) words += std::string(fillers[(i * 3 + w * 5) % 8]) + " ";
    words += positive ? (i % 4 == 0 ? "good" : "fine") : (i % 4 == 1 ? "bad" : "dull");
    text += std::string(positive ? "1" : "0") + "\t" + words + "\n";
  }
  return text;
}

// The (label, text) records of reviews().
std::vector<std::pair<int, std::string>> records_of(const std::string& labeled) {
  std::vector<std::pair<int, std::string>> records;
  for (std::size_t at = 0; at < labeled.size();) {
    const std::size_t end = labeled.find('\n', at);
    records.emplace_back(labeled[at] - '0', labeled.substr(at + 2, end - at - 2));
    at = end + 1;
  }
  return records;
}

// The texts of one class from reviews(), one per line, as a language model's corpus.
std::string class_texts(const std::string& labeled, int label) {
  std::string out;
  for (const auto& [own, text] : records_of(labeled))
    if (own == label) out += text + "\n";
  return out;
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

TEST_CASE("the weight of the class language models is the best on dev, ties to the lower loss") {
  // At weight 0 the third and fourth texts are wrong. They need a weight above 0.2,
  // the fifth one of at most 0.5: every weight in (0.2, 0.5] is right on all five.
  const std::vector<float> logits{1.0f, -1.0f, 0.2f, -0.2f, 0.5f};
  const std::vector<double> ratios{0.0, 0.0, -1.0, 1.0, -1.0};
  const std::vector<int> labels{1, 0, 0, 1, 1};
  const train::ClassModelWeight fit = train::fit_class_model_weight(logits, ratios, labels);
  CHECK(fit.accuracy == 1.0);
  CHECK(fit.weight > 0.2);
  CHECK(fit.weight <= 0.5);
  // The loss at that weight, by hand.
  double loss = 0.0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const double z = logits[i] + fit.weight * ratios[i];
    loss += labels[i] == 1 ? std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
  }
  CHECK(fit.loss == doctest::Approx(loss / 5.0));
  // Ratios that tell nothing leave the classifier alone.
  CHECK(train::fit_class_model_weight(logits, {0, 0, 0, 0, 0}, labels).weight == 0.0);
  CHECK_THROWS_AS(train::fit_class_model_weight(logits, {0.0}, labels), Error);
  // The classifier alone (no ratios) gets three right, and a weight's figures come from the
  // weight given, not from a search.
  CHECK(train::score_at_weight(logits, {}, labels, 0.6).accuracy == doctest::Approx(0.6));
  CHECK(train::score_at_weight(logits, ratios, labels, 0.1).accuracy == doctest::Approx(0.6));
  CHECK(train::score_at_weight(logits, ratios, labels, 0.6).accuracy == doctest::Approx(0.8));
  CHECK(train::score_at_weight(logits, ratios, labels, fit.weight).loss == doctest::Approx(fit.loss));
  CHECK_THROWS_AS(train::score_at_weight(logits, {0.0}, labels, 0.5), Error);
  // A scale changes the loss, never the accuracy.
  CHECK(train::score_at_weight(logits, ratios, labels, 0.6, 0.3).accuracy == doctest::Approx(0.8));
  CHECK(train::score_at_weight(logits, ratios, labels, 0.6, 0.3).loss !=
        doctest::Approx(train::score_at_weight(logits, ratios, labels, 0.6).loss));
}

TEST_CASE("choices fitted on one half of dev and scored on the other") {
  // One epoch and no class models leave nothing to choose: each halving's two halves, scored
  // both ways round, average to the accuracy on all of dev (three of four right).
  const std::vector<int> labels{1, 0, 1, 0};
  CHECK(train::held_out_half_accuracy({{1.0f, -1.0f, 2.0f, 0.5f}}, {}, labels) == doctest::Approx(0.75));
  // An epoch right on every text is chosen on any half, and scores 1 on the other.
  CHECK(train::held_out_half_accuracy({{-1, 1, -1, 1}, {1, -1, 1, -1}}, {}, labels) == 1.0);
  CHECK_THROWS_AS(train::held_out_half_accuracy({{1.0f}}, {}, {1}), Error);

  // Twenty epochs of pure noise: dev picks the luckiest, which looks better than chance, but
  // the same choice made on half of dev does not carry to the other half (a half that looks
  // better than the whole leaves the other half looking worse).
  std::vector<int> coin(400);
  for (std::size_t i = 0; i < coin.size(); ++i) coin[i] = nn::uniform01(7, 0, i) < 0.5f ? 1 : 0;
  std::vector<std::vector<float>> noise(20, std::vector<float>(coin.size()));
  double luckiest = 0.0;
  for (std::size_t e = 0; e < noise.size(); ++e) {
    for (std::size_t i = 0; i < coin.size(); ++i) noise[e][i] = nn::uniform01(8, e, i) - 0.5f;
    luckiest = std::max(luckiest, train::score_at_weight(noise[e], {}, coin, 0.0).accuracy);
  }
  const double held_out = train::held_out_half_accuracy(noise, {}, coin);
  CHECK(luckiest > 0.52);
  CHECK(held_out == doctest::Approx(0.5).epsilon(0.04));
  CHECK(held_out < luckiest - 0.01);

  // With class models, the weight is fitted on the half too: ratios that carry the labels are
  // found on either half and give every text of the other.
  std::vector<double> ratios(coin.size());
  for (std::size_t i = 0; i < coin.size(); ++i) ratios[i] = coin[i] == 1 ? 2.0 : -2.0;
  CHECK(train::held_out_half_accuracy(noise, ratios, coin) == 1.0);
}

TEST_CASE("the scale that calibrates the scores has the lowest dev loss") {
  // Every combined logit is 1 and four of five labels agree with its sign: the loss
  // 0.8 log(1 + e^-s) + 0.2 log(1 + e^s) is lowest where sigmoid(s) = 0.8, at s = log 4.
  const std::vector<int> labels{1, 1, 1, 1, 0};
  CHECK(train::fit_score_scale({1, 1, 1, 1, 1}, {}, labels, 0.0) == doctest::Approx(std::log(4.0)).epsilon(0.005));
  // The same logits made by the weight from the ratios alone.
  CHECK(train::fit_score_scale({0, 0, 0, 0, 0}, {2, 2, 2, 2, 2}, labels, 0.5) ==
        doctest::Approx(std::log(4.0)).epsilon(0.005));
  // Scores already too unsure take a scale above 1.
  CHECK(train::fit_score_scale({0.1f, 0.1f, -0.1f, -0.1f}, {}, {1, 1, 0, 0}, 0.0) > 1.0);
}

TEST_CASE("class language models: the score adds their weighted log-likelihood ratios, as they give them alone") {
  const std::string train_text = reviews(240), dev_text = reviews(60, 1000);
  const testing::TempFile train(train_text, ".tsv"), dev(dev_text, ".tsv"), output("", ".safetensors");
  // Two pairs, the second trained less, so that each pair's ratio differs.
  const std::vector<int> iterations{60, 25};
  std::deque<testing::TempFile> positive_lms, negative_lms;  // a deque: a TempFile does not move
  for (const int count : iterations) {
    testing::train_tiny_language_model(class_texts(train_text, 1), positive_lms.emplace_back("", ".safetensors").path(),
                                       count);
    testing::train_tiny_language_model(class_texts(train_text, 0), negative_lms.emplace_back("", ".safetensors").path(),
                                       count);
  }

  SentimentTrainingConfig config;
  config.train_path = train.path();
  config.dev_path = dev.path();
  config.output = output.path();
  config.model.hidden = 8;
  config.model.embedding_size = 4;
  config.max_epochs = 1;  // a weak classifier, so that the class models have work to do
  config.checkpoint_dir = output.path() + ".checkpoints";
  for (std::size_t pair = 0; pair < iterations.size(); ++pair) {
    config.positive_lm.push_back(positive_lms[pair].path());
    config.negative_lm.push_back(negative_lms[pair].path());
  }
  const SentimentTrainingSummary summary = train_sentiment_classifier(config);
  std::filesystem::remove_all(config.checkpoint_dir);
  CHECK(summary.class_lm_weight > 0.0);

  // The file carries every language model exactly, negative then positive of each pair, and the
  // fitted weight.
  const ModelFile file = load_model_file(output.path());
  REQUIRE(file.class_language_models.size() == 2 * iterations.size());
  CHECK(file.class_language_model_weight == summary.class_lm_weight);
  CHECK(file.class_language_model_scale == summary.class_lm_scale);
  CHECK(summary.class_lm_scale > 0.0);
  {
    // The scale round-trips exactly; a scale that is not positive would flip every decision, and is refused.
    ModelFile changed = file;
    const testing::TempFile copy("", ".safetensors");
    changed.class_language_model_scale = 0.37;
    save_model_file(copy.path(), changed);
    CHECK(load_model_file(copy.path()).class_language_model_scale == 0.37);
    changed.class_language_model_scale = -1.0;
    save_model_file(copy.path(), changed);
    CHECK_THROWS_WITH_AS(load_model_file(copy.path()), doctest::Contains("the scale must be a positive number"),
                         InputError);
  }
  std::vector<LanguageModel> negatives, positives;
  for (std::size_t pair = 0; pair < iterations.size(); ++pair) {
    const ModelFile negative_file = load_model_file(negative_lms[pair].path()),
                    positive_file = load_model_file(positive_lms[pair].path());
    for (std::size_t i = 0; i < negative_file.tensors.size(); ++i) {
      CHECK(file.class_language_models[2 * pair].tensors[i].values == negative_file.tensors[i].values);
      CHECK(file.class_language_models[2 * pair + 1].tensors[i].values == positive_file.tensors[i].values);
    }
    negatives.emplace_back(negative_file);
    positives.emplace_back(positive_file);
  }

  // Each score from its parts: the classifier alone, and each language model's own nats.
  ModelFile alone_file = file;
  alone_file.class_language_models.clear();
  SentimentModel model(file), alone(alone_file);
  // Units both language models know ("good" has a 'g' the negative texts lack, and such units
  // are left out of both models' scores), and an 'x' that no model knows, left out as well.
  const std::vector<std::string> texts{"the film was fine", "the plot was dull", "story and fxine", "x"};
  std::vector<std::vector<std::uint32_t>> ids;
  for (const std::string& text : texts) ids.push_back(model.encode(text));
  const std::vector<double> scores = model.score(ids), alone_scores = alone.score(ids);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    CAPTURE(texts[i]);
    double ratio = 0.0, first_ratio = 0.0;
    for (std::size_t pair = 0; pair < iterations.size(); ++pair) {
      LanguageModel &negative = negatives[pair], &positive = positives[pair];
      const double own = score_sequences(negative, {negative.encode(texts[i], UnknownPolicy::skip)}, 1)[0].nats -
                         score_sequences(positive, {positive.encode(texts[i], UnknownPolicy::skip)}, 1)[0].nats;
      if (pair == 0) first_ratio = own;
      ratio += own;
    }
    if (texts[i] != "x") CHECK(ratio != doctest::Approx(first_ratio));  // the second pair counts
    const double logit = std::log(alone_scores[i] / (1.0 - alone_scores[i]));
    CHECK(scores[i] ==
          doctest::Approx(sigmoid(file.class_language_model_scale * (logit + file.class_language_model_weight * ratio)))
              .epsilon(1e-5));
    // The trace ends at the text's score.
    CHECK(model.trace(ids[i]).back() == doctest::Approx(scores[i]).epsilon(1e-5));
  }
  // The language models alone prefer their own class's texts.
  CHECK(scores[0] > alone_scores[0]);
  CHECK(scores[1] < alone_scores[1]);

  // The summary's dev accuracy is the output's.
  std::vector<std::vector<std::uint32_t>> dev_ids;
  std::vector<int> dev_labels;
  for (const auto& [label, text] : records_of(dev_text)) {
    dev_labels.push_back(label);
    dev_ids.push_back(model.encode(text));
  }
  const std::vector<double> dev_scores = model.score(dev_ids);
  CHECK(binary_metrics(dev_scores, dev_labels).accuracy == doctest::Approx(summary.dev_accuracy));
  // The classifier's own figure is the classifier's alone, scored without the class models.
  CHECK(binary_metrics(alone.score(dev_ids), dev_labels).accuracy == doctest::Approx(summary.classifier_dev_accuracy));
  // And its dev loss is the output's scores' mean logistic loss.
  double loss = 0.0;
  for (std::size_t i = 0; i < dev_scores.size(); ++i)
    loss -= std::log(dev_labels[i] == 1 ? dev_scores[i] : 1.0 - dev_scores[i]);
  CHECK(loss / static_cast<double>(dev_scores.size()) == doctest::Approx(summary.dev_loss).epsilon(1e-4));
}

TEST_CASE(
    "class language models are refused unless they come as a pair of language models that read as the classifier "
    "does") {
  const std::string train_text = reviews(40);
  const testing::TempFile train(train_text, ".tsv"), output("", ".safetensors"), lm("", ".safetensors");
  testing::train_tiny_language_model(class_texts(train_text, 1), lm.path(), 60);
  SentimentTrainingConfig config;
  config.train_path = config.dev_path = train.path();
  config.output = output.path();
  config.model.hidden = 8;
  config.max_epochs = 1;
  config.checkpoint_dir = output.path() + ".checkpoints";
  config.positive_lm = {lm.path()};
  CHECK_THROWS_WITH_AS(train_sentiment_classifier(config), doctest::Contains("come together"), UsageError);
  config.negative_lm = {lm.path(), lm.path()};
  CHECK_THROWS_WITH_AS(train_sentiment_classifier(config), doctest::Contains("1 positive, 2 negative"), UsageError);
  // Graphemes split text otherwise than the language model's code points.
  config.negative_lm = {lm.path()};
  config.model.text.unit = TextUnit::grapheme;
  CHECK_THROWS_WITH_AS(train_sentiment_classifier(config), doctest::Contains("read text as the classifier does"),
                       InputError);
  CHECK_FALSE(std::filesystem::exists(output.path() + ".checkpoints"));
  config.model.text.unit = TextUnit::codepoint;
  // A classifier is not a language model.
  config.positive_lm.clear();
  config.negative_lm.clear();
  train_sentiment_classifier(config);
  std::filesystem::remove_all(config.checkpoint_dir);
  config.positive_lm = {lm.path(), output.path()};
  config.negative_lm = {lm.path(), lm.path()};
  CHECK_THROWS_WITH_AS(train_sentiment_classifier(config), doctest::Contains("not a language model"), InputError);

  // In the file: only a sentiment classifier carries them, in pairs, and every tensor of each
  // pair must be there.
  const ModelFile language_model = load_model_file(lm.path());
  ModelFile with_models = load_model_file(output.path());
  with_models.class_language_models = {language_model, language_model, language_model, language_model};
  with_models.class_language_models[1].tensors.pop_back();
  const testing::TempFile damaged("", ".safetensors");
  save_model_file(damaged.path(), with_models);
  CHECK_THROWS_WITH_AS(load_model_file(damaged.path()), doctest::Contains("positive_lm."), InputError);
  with_models.class_language_models[1] = language_model;
  with_models.class_language_models[3].tensors.pop_back();
  save_model_file(damaged.path(), with_models);
  CHECK_THROWS_WITH_AS(load_model_file(damaged.path()), doctest::Contains("positive_lm2."), InputError);
  with_models.class_language_models.pop_back();
  CHECK_THROWS_WITH_AS(save_model_file(damaged.path(), with_models), doctest::Contains("pairs"), Error);
  ModelFile not_a_classifier = language_model;
  not_a_classifier.class_language_models = {language_model, language_model};
  CHECK_THROWS_AS(save_model_file(damaged.path(), not_a_classifier), Error);
}
