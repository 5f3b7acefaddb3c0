// DropConnect on the recurrent (hidden-to-hidden) weights during training, AWD-LSTM's weight
// drop (Merity et al. 2018): one mask per step, the same at every time step of the batch.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "nn/parameters.hpp"

namespace charloom::train {

// UsageError unless 0 <= p < 1.
void check_weight_drop(double p);

class WeightDrop {
 public:
  // Drops each element of every rnn.weight_hh_* tensor of `layout` with probability p, and
  // scales the kept ones by 1 / (1 - p), so that the expected weights are the weights.
  WeightDrop(const nn::ParameterLayout& layout, double p, std::uint64_t seed);

  // Whether element `index` of the parameter buffer survives at `step`; a pure function of
  // (seed, step, index), so a resumed run draws the masks it would have drawn.
  bool kept(std::uint64_t step, std::size_t index) const;
  // Keeps the weights aside and writes the step's masked copy into `parameters`.
  void mask(std::vector<float>& parameters, std::uint64_t step);
  // Puts the kept weights back and turns the gradients of the masked copy into those of the
  // weights: each recurrent element's gradient times its mask.
  void unmask(std::vector<float>& parameters, std::vector<float>& gradients);

 private:
  std::vector<std::pair<std::size_t, std::size_t>> ranges_;  // [begin, end) of the weight_hh tensors
  float p_;
  std::uint64_t seed_, step_ = 0;
  std::vector<float> saved_;
};

}  // namespace charloom::train
