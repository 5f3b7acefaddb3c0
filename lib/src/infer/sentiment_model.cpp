// Loading a sentiment classifier, scoring texts with it, and the metrics of its scores.
#include "charloom/sentiment.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numeric>

#include "charloom/errors.hpp"
#include "infer/class_language_models.hpp"
#include "infer/text_batches.hpp"
#include "nn/classifier.hpp"

namespace charloom {
namespace {

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

struct SentimentModel::Impl {
  Vocabulary vocabulary;
  std::string training_json;
  nn::Classifier classifier;
  std::size_t max_length = default_max_text_units;           // as the model was trained
  std::unique_ptr<infer::ClassLanguageModels> class_models;  // when the file has them
  // Held by every call that runs the networks: their buffers serve one computation at a time.
  std::mutex running;

  Impl(const ModelFile& file, Precision precision)
      : vocabulary(file.vocabulary), training_json(file.training_json), classifier(file.config, precision) {
    classifier.load_tensors(file.tensors);
    if (!file.class_language_models.empty())
      class_models = std::make_unique<infer::ClassLanguageModels>(file, precision);
    const nlohmann::json training = nlohmann::json::parse(training_json, nullptr, false);
    if (training.is_object() && training.contains("max_length") && training["max_length"].is_number_integer())
      max_length = std::max<std::size_t>(1, training["max_length"].get<std::size_t>());
  }
};

SentimentModel SentimentModel::load(const std::string& path, Precision precision) {
  const ModelFile file = load_model_file(path);
  if (file.kind != sentiment_classifier_kind)
    throw InputError(path + " holds a model of kind '" + file.kind +
                     "', not a sentiment classifier; pass a sentiment classifier");
  try {
    return SentimentModel(file, precision);
  } catch (const InputError& error) {
    throw InputError(path + ": " + error.what());
  }
}

SentimentModel::SentimentModel(const ModelFile& file, Precision precision)
    : impl_(std::make_unique<Impl>(file, precision)) {}
SentimentModel::~SentimentModel() = default;
SentimentModel::SentimentModel(SentimentModel&&) noexcept = default;
SentimentModel& SentimentModel::operator=(SentimentModel&&) noexcept = default;

const ModelConfig& SentimentModel::config() const { return impl_->classifier.config(); }
const Vocabulary& SentimentModel::vocabulary() const { return impl_->vocabulary; }
const std::string& SentimentModel::training_json() const { return impl_->training_json; }

std::vector<std::uint32_t> SentimentModel::encode(std::string_view text, std::string_view source_name) const {
  std::vector<std::uint32_t> ids;
  for (const std::string& unit : split_units(text, config().text, source_name)) {
    if (ids.size() >= impl_->max_length) break;
    ids.push_back(impl_->vocabulary.id_of(unit));
  }
  return ids;
}

std::vector<double> SentimentModel::score(const std::vector<std::vector<std::uint32_t>>& texts, int batch) {
  if (batch < 1) throw UsageError("the batch must be positive");
  const std::lock_guard<std::mutex> running(impl_->running);
  const std::vector<float> logits = infer::classify(impl_->classifier, texts, batch);
  std::vector<double> scores(logits.begin(), logits.end());
  if (impl_->class_models) {
    const std::vector<double> ratios = impl_->class_models->log_ratios(texts, batch);
    for (std::size_t i = 0; i < texts.size(); ++i)
      scores[i] = impl_->class_models->combined_logit(logits[i], ratios[i]);
  }
  for (double& score : scores) score = sigmoid(score);
  return scores;
}

std::vector<double> SentimentModel::trace(const std::vector<std::uint32_t>& text) {
  if (text.empty()) return {};
  infer::PaddedBatch padded;
  const std::size_t only = 0;
  const std::vector<std::vector<std::uint32_t>> texts{text};
  infer::fill_batch(texts, std::span<const std::size_t>(&only, 1), 1, padded);
  const std::lock_guard<std::mutex> lock(impl_->running);
  const std::vector<float> running = impl_->classifier.running_logits(padded.view());
  std::vector<double> result(running.begin(), running.begin() + static_cast<std::ptrdiff_t>(text.size()));
  if (impl_->class_models) {
    const std::vector<double> ratio = impl_->class_models->running_log_ratio(text);
    for (std::size_t t = 0; t < text.size(); ++t) result[t] = impl_->class_models->combined_logit(running[t], ratio[t]);
  }
  for (double& score : result) score = sigmoid(score);
  return result;
}

BinaryMetrics binary_metrics(const std::vector<double>& scores, const std::vector<int>& labels, double threshold) {
  if (scores.size() != labels.size()) throw Error("binary_metrics: scores and labels differ in number");
  BinaryMetrics m;
  double nats = 0.0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const bool predicted = scores[i] >= threshold, actual = labels[i] == 1;
    (predicted ? (actual ? m.true_positive : m.false_positive) : (actual ? m.false_negative : m.true_negative)) += 1;
    // Clamped, so that one score of exactly 0 or 1 on the wrong side costs 34.5 nats, not infinity.
    nats -= std::log(std::clamp(actual ? scores[i] : 1.0 - scores[i], 1e-15, 1.0));
  }
  m.log_loss = scores.empty() ? 0.0 : nats / static_cast<double>(scores.size());
  const auto ratio = [](double a, double b) { return b == 0.0 ? 0.0 : a / b; };
  const double tp = static_cast<double>(m.true_positive), fp = static_cast<double>(m.false_positive);
  const double tn = static_cast<double>(m.true_negative), fn = static_cast<double>(m.false_negative);
  m.accuracy = ratio(tp + tn, tp + tn + fp + fn);
  m.precision = ratio(tp, tp + fp);
  m.recall = ratio(tp, tp + fn);
  m.f1 = ratio(2.0 * m.precision * m.recall, m.precision + m.recall);
  // ROC AUC as the Mann-Whitney statistic: rank the scores, average ranks over ties.
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double positive_rank_sum = 0.0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double average_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (std::size_t k = i; k < j; ++k)
      if (labels[order[k]] == 1) positive_rank_sum += average_rank;
    i = j;
  }
  const double positives = tp + fn, negatives = tn + fp;
  m.roc_auc = positives == 0.0 || negatives == 0.0
                  ? 0.5
                  : (positive_rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives);
  return m;
}

}  // namespace charloom
