// Sentiment classifiers at run time: loading one, scoring texts, per-character traces, and
// the metrics of scores against labels.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "charloom/model_config.hpp"
#include "charloom/model_file.hpp"
#include "charloom/vocabulary.hpp"

namespace charloom {

// Thread safety as LanguageModel's: const members at once from any thread; score and trace
// take the model's lock and run one at a time per model, each as it would alone.
class SentimentModel {
 public:
  // Loads and checks a model file. Throws InputError when it is missing, damaged or holds
  // another kind of model (a language model, say). `precision` as for LanguageModel::load.
  static SentimentModel load(const std::string& path, Precision precision = Precision::f32);
  explicit SentimentModel(const ModelFile& file, Precision precision = Precision::f32);
  ~SentimentModel();
  SentimentModel(SentimentModel&&) noexcept;
  SentimentModel& operator=(SentimentModel&&) noexcept;

  const ModelConfig& config() const;
  const Vocabulary& vocabulary() const;
  const std::string& training_json() const;

  // A text's unit ids under the model's text options, cut to the length the model was
  // trained with (--max-length); units the vocabulary lacks become <unk>. Invalid UTF-8 is
  // an InputError naming source_name.
  std::vector<std::uint32_t> encode(std::string_view text, std::string_view source_name = "<text>") const;

  // P(positive) of each text (ids from encode(); an empty text scores 0.5), batched across
  // texts of similar length `batch` at a time; in input order.
  std::vector<double> score(const std::vector<std::vector<std::uint32_t>>& texts, int batch = 128);

  // P(positive) after every unit of one text: what the model would say if the text ended there.
  std::vector<double> trace(const std::vector<std::uint32_t>& text);

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// The longest text a classifier reads when its file does not say: longer ones are cut to
// their first this many units.
inline constexpr int default_max_text_units = 1000;

struct BinaryMetrics {
  std::uint64_t true_positive = 0, false_positive = 0, true_negative = 0, false_negative = 0;
  double accuracy = 0.0, precision = 0.0, recall = 0.0, f1 = 0.0;
  double roc_auc = 0.0;  // the probability that a positive outscores a negative, ties half
  // The mean negative log-likelihood of the labels, in nats: how well calibrated the scores
  // are, where accuracy only sees which side of the threshold they fall.
  double log_loss = 0.0;
};

// Metrics of scores (P(positive)) against labels (0 or 1); a score >= threshold is positive.
// Precision, recall and F1 are 0 where their denominators are; ROC AUC is 0.5 without both classes.
BinaryMetrics binary_metrics(const std::vector<double>& scores, const std::vector<int>& labels, double threshold = 0.5);

}  // namespace charloom
