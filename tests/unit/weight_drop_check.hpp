// The check both trainers' weight-drop tests make: after one Adam step from the initial
// weights, exactly the recurrent weights that the first step's mask dropped are unmoved.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "charloom/model_file.hpp"
#include "nn/parameters.hpp"
#include "train/weight_drop.hpp"

namespace charloom::testing {

// `start` holds the initial parameters in `layout`'s order; `after` is the model one Adam
// step later. A weight without gradient does not move under Adam's first step at all.
inline void check_first_step_weight_drop(const nn::ParameterLayout& layout, const std::vector<float>& start,
                                         const ModelFile& after, double p, std::uint64_t seed) {
  const train::WeightDrop step_zero(layout, p, seed);
  std::size_t kept_moved = 0, kept = 0, dropped = 0;
  for (const nn::TensorInfo& tensor : layout.tensors()) {
    if (tensor.name.rfind("rnn.weight_hh_", 0) != 0) continue;
    const std::vector<float>& values = after.find(tensor.name)->values;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const float before = start[tensor.offset + i];
      if (step_zero.kept(0, tensor.offset + i)) {
        ++kept;
        kept_moved += values[i] != before;
      } else {
        ++dropped;
        CHECK(values[i] == before);
      }
    }
  }
  CHECK(dropped > 0);
  CHECK(kept_moved > kept * 9 / 10);
}

}  // namespace charloom::testing
