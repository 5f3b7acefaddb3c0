// Drawing one unit from a row of logits: temperature, top-k, top-p and a mask of allowed ids.
#pragma once

#include <cstdint>
#include <vector>

#include "charloom/generation.hpp"

namespace charloom::infer {

// Holds its scratch space, so drawing allocates nothing.
class Sampler {
 public:
  Sampler(const SamplingOptions& options, std::size_t vocabulary_size);

  // The probabilities a draw uses: softmax(logits / T) over the allowed ids (allowed[id] != 0,
  // or every id when allowed is null), cut to the top k, then to the smallest set whose mass
  // reaches p, renormalized. At T = 0 it is one-hot on the most likely allowed id (the lowest
  // id among ties). Valid until the next call.
  const std::vector<double>& distribution(const float* logits, const std::uint8_t* allowed);

  // Draws an id from distribution(logits, allowed) with u, a uniform number in [0, 1).
  std::uint32_t pick(const float* logits, const std::uint8_t* allowed, float u);

 private:
  void keep_top(std::size_t count);  // zeroes all but the `count` most likely ids

  SamplingOptions options_;
  std::vector<double> probabilities_;
  std::vector<std::uint32_t> order_;
};

}  // namespace charloom::infer
