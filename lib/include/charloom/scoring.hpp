// Scoring text with a language model: how many nats (and bits) per unit it costs.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "charloom/corpus.hpp"
#include "charloom/language_model.hpp"

namespace charloom {

struct TextScore {
  std::uint64_t units_scored = 0;  // units predicted
  double nats = 0.0;               // summed -log p of those units
  double nats_per_unit() const { return units_scored == 0 ? 0.0 : nats / static_cast<double>(units_scored); }
  double bits_per_unit() const { return nats_per_unit() / std::log(2.0); }
  double perplexity() const { return std::exp(nats_per_unit()); }
};

// Scores ids [begin, end) as train-model validates: cut into at most `streams` contiguous
// streams, each from the zero state, run `steps` units at a time; every unit but each
// stream's first is predicted, and up to streams - 1 units at the end go unscored.
TextScore score_span(LanguageModel& model, const TokenIds& ids, std::size_t begin, std::size_t end, int streams,
                     int steps);

// Scores each sequence on its own from the zero state: its first unit is given, every later
// one predicted. Runs `batch` sequences at a time; the result is in input order.
std::vector<TextScore> score_sequences(LanguageModel& model, const std::vector<std::vector<std::uint32_t>>& sequences,
                                       int batch);

}  // namespace charloom
