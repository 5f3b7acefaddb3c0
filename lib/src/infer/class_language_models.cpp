// The class language models' log-likelihood ratio, over many texts or along one.
#include "infer/class_language_models.hpp"

#include <algorithm>

#include "charloom/errors.hpp"
#include "infer/evaluation.hpp"

namespace charloom::infer {
namespace {

// Whether two models split text into the same units (how bad UTF-8 is met does not matter).
bool same_units(const TextOptions& a, const TextOptions& b) {
  return a.unit == b.unit && a.normalization == b.normalization && a.newlines == b.newlines;
}

}  // namespace

ClassLanguageModels::ClassLanguageModels(const ModelFile& file, Precision precision)
    : negative_(file.class_language_models.at(0).config, precision),
      positive_(file.class_language_models.at(1).config, precision),
      weight_(file.class_language_model_weight) {
  const ModelFile &negative = file.class_language_models[0], &positive = file.class_language_models[1];
  // Both must read text as the classifier does, unit for unit, or the ratio compares nothing.
  if (!(negative.vocabulary == positive.vocabulary) || !same_units(negative.config.text, file.config.text) ||
      !same_units(positive.config.text, file.config.text))
    throw InputError("the class language models must share one vocabulary and the classifier's text options");
  negative_.load_tensors(negative.tensors);
  positive_.load_tensors(positive.tensors);
  for (std::uint32_t id = 0; id < file.vocabulary.size(); ++id) {
    const auto found = negative.vocabulary.find(file.vocabulary.text_of(id));
    model_id_.push_back(found ? static_cast<std::int64_t>(*found) : -1);
  }
}

std::vector<std::uint32_t> ClassLanguageModels::model_ids(const std::vector<std::uint32_t>& text,
                                                          std::vector<std::size_t>* positions) const {
  std::vector<std::uint32_t> ids;
  for (std::size_t t = 0; t < text.size(); ++t) {
    const std::int64_t id = text[t] < model_id_.size() ? model_id_[text[t]] : -1;
    if (id < 0) continue;
    ids.push_back(static_cast<std::uint32_t>(id));
    if (positions) positions->push_back(t);
  }
  return ids;
}

std::vector<double> ClassLanguageModels::log_ratios(const std::vector<std::vector<std::uint32_t>>& texts, int batch) {
  std::vector<std::vector<std::uint32_t>> sequences;
  sequences.reserve(texts.size());
  for (const auto& text : texts) sequences.push_back(model_ids(text));
  const std::vector<SpanScore> negative = score_sequences(negative_, sequences, batch);
  const std::vector<SpanScore> positive = score_sequences(positive_, sequences, batch);
  std::vector<double> ratios(texts.size());
  // Nats are -log p: the ratio is what the negative model pays beyond the positive one.
  for (std::size_t i = 0; i < texts.size(); ++i) ratios[i] = negative[i].nats - positive[i].nats;
  return ratios;
}

std::vector<double> ClassLanguageModels::running_log_ratio(const std::vector<std::uint32_t>& text) {
  std::vector<std::size_t> positions;
  const std::vector<std::uint32_t> ids = model_ids(text, &positions);
  // Per class model unit: the ratio's change when it is predicted (the first is given).
  std::vector<double> change(ids.size(), 0.0);
  for (auto* network : {&negative_, &positive_}) {
    nn::StreamState state;
    state.reset(network->config(), 1);
    const double sign = network == &negative_ ? 1.0 : -1.0;
    constexpr std::size_t chunk = 64;
    for (std::size_t at = 0; at + 1 < ids.size(); at += chunk) {
      const std::size_t steps = std::min(chunk, ids.size() - 1 - at);
      network->score_batch(ids.data() + at, ids.data() + at + 1, static_cast<int>(steps), 1, state);
      for (std::size_t t = 0; t < steps; ++t) change[at + t + 1] += sign * network->last_row_losses()[t];
    }
  }
  std::vector<double> running(text.size(), 0.0);
  double total = 0.0;
  std::size_t next = 0;
  for (std::size_t t = 0; t < text.size(); ++t) {
    while (next < positions.size() && positions[next] == t) total += change[next++];
    running[t] = total;
  }
  return running;
}

}  // namespace charloom::infer
