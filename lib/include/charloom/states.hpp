// A language model's recurrent state after each unit of a text, and its distribution over the
// next unit: what a notebook plots to find the cells that track quotes or line length.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "charloom/language_model.hpp"

namespace charloom {

struct TextStates {
  std::size_t units = 0;
  int layers = 0, hidden = 0;
  std::vector<float> hidden_states;  // (units, layers, hidden), row-major
  std::vector<float> cell_states;    // an LSTM's cells, shaped alike; empty for other cells
};

// Runs `ids` through the model from the zero state one unit at a time, as sampling does, and
// keeps every layer's state after each unit. The state after the last unit is the one from
// which generate() with `ids` as its prime draws its first unit.
TextStates text_states(LanguageModel& model, std::span<const std::uint32_t> ids);

// The model's probability of each unit of its vocabulary coming next after `prime`, at
// temperature 1 (generate() never draws the unknown unit, whatever its probability). Without
// a prime, the distribution after a newline, where generate() starts.
std::vector<double> next_distribution(LanguageModel& model, std::span<const std::uint32_t> prime);

}  // namespace charloom
