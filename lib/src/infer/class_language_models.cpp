// The class language models' log-likelihood ratio, over many texts or along one.
#include "infer/class_language_models.hpp"

#include <algorithm>
#include <string>

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
    : weight_(file.class_language_model_weight), scale_(file.class_language_model_scale) {
  const auto& models = file.class_language_models;
  if (models.empty() || models.size() % 2 != 0)
    throw InputError("class language models come in pairs, a negative and a positive one");
  pairs_.reserve(models.size() / 2);
  for (std::size_t at = 0; at < models.size(); at += 2) {
    const ModelFile &negative = models[at], &positive = models[at + 1];
    // Each must split text as the classifier does, unit for unit, or the ratio compares nothing.
    if (!same_units(negative.config.text, file.config.text) || !same_units(positive.config.text, file.config.text))
      throw InputError("the class language models must read text as the classifier does (" +
                       std::string(to_string(file.config.text.unit)) + ", " +
                       std::string(to_string(file.config.text.normalization)) + ")");
    Pair& pair =
        pairs_.emplace_back(Pair{nn::Network(negative.config, precision), nn::Network(positive.config, precision), {}});
    pair.negative.load_tensors(negative.tensors);
    pair.positive.load_tensors(positive.tensors);
    for (std::uint32_t id = 0; id < file.vocabulary.size(); ++id) {
      const std::string_view unit = file.vocabulary.text_of(id);
      const auto in_negative = negative.vocabulary.find(unit), in_positive = positive.vocabulary.find(unit);
      // A unit that either model lacks is left out of both, so that both score the same units;
      // so is one the classifier lacks, whatever unit it stood for.
      const bool known = id != Vocabulary::unknown_id && in_negative && in_positive;
      pair.model_ids.push_back(known ? std::optional(std::pair(*in_negative, *in_positive)) : std::nullopt);
    }
  }
}

ClassLanguageModels::Ids ClassLanguageModels::Pair::ids_of(const std::vector<std::uint32_t>& text,
                                                           std::vector<std::size_t>* positions) const {
  Ids ids;
  for (std::size_t t = 0; t < text.size(); ++t) {
    if (text[t] >= model_ids.size() || !model_ids[text[t]]) continue;
    ids.negative.push_back(model_ids[text[t]]->first);
    ids.positive.push_back(model_ids[text[t]]->second);
    if (positions) positions->push_back(t);
  }
  return ids;
}

std::vector<double> ClassLanguageModels::log_ratios(const std::vector<std::vector<std::uint32_t>>& texts, int batch) {
  std::vector<double> ratios(texts.size(), 0.0);
  for (Pair& pair : pairs_) {
    std::vector<std::vector<std::uint32_t>> negative_ids, positive_ids;
    for (const auto& text : texts) {
      Ids ids = pair.ids_of(text);
      negative_ids.push_back(std::move(ids.negative));
      positive_ids.push_back(std::move(ids.positive));
    }
    const std::vector<SpanScore> negative = score_sequences(pair.negative, negative_ids, batch);
    const std::vector<SpanScore> positive = score_sequences(pair.positive, positive_ids, batch);
    // Nats are -log p: the ratio is what the negative model pays beyond the positive one.
    for (std::size_t i = 0; i < texts.size(); ++i) ratios[i] += negative[i].nats - positive[i].nats;
  }
  return ratios;
}

std::vector<double> ClassLanguageModels::running_log_ratio(const std::vector<std::uint32_t>& text) {
  std::vector<double> running(text.size(), 0.0);
  for (Pair& pair : pairs_) {
    std::vector<std::size_t> positions;
    const Ids ids = pair.ids_of(text, &positions);
    // Per unit the models read: the ratio's change when it is predicted (the first is given).
    std::vector<double> change(positions.size(), 0.0);
    const auto add = [&](nn::Network& network, const std::vector<std::uint32_t>& sequence, double sign) {
      nn::StreamState state;
      state.reset(network.config(), 1);
      constexpr std::size_t chunk = 64;
      for (std::size_t at = 0; at + 1 < sequence.size(); at += chunk) {
        const std::size_t steps = std::min(chunk, sequence.size() - 1 - at);
        network.score_batch(sequence.data() + at, sequence.data() + at + 1, static_cast<int>(steps), 1, state);
        for (std::size_t t = 0; t < steps; ++t) change[at + t + 1] += sign * network.last_row_losses()[t];
      }
    };
    add(pair.negative, ids.negative, 1.0);
    add(pair.positive, ids.positive, -1.0);
    double total = 0.0;
    std::size_t next = 0;
    for (std::size_t t = 0; t < text.size(); ++t) {
      while (next < positions.size() && positions[next] == t) total += change[next++];
      running[t] += total;
    }
  }
  return running;
}

}  // namespace charloom::infer
