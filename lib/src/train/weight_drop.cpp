// Weight drop on the recurrent weights: the masks, and the swap around a training step.
#include "train/weight_drop.hpp"

#include <string>

#include "charloom/errors.hpp"
#include "nn/random.hpp"

namespace charloom::train {
namespace {
// Apart from the encoder's dropout streams (from 2^32, 128 a step) and the data's (below 2^16).
constexpr std::uint64_t weight_drop_stream_base = std::uint64_t{3} << 32;
}  // namespace

void check_weight_drop(double p) {
  if (!(p >= 0.0 && p < 1.0))
    throw UsageError("--weight-drop must be at least 0 and below 1, got " + std::to_string(p));
}

WeightDrop::WeightDrop(const nn::ParameterLayout& layout, double p, std::uint64_t seed)
    : p_(static_cast<float>(p)), seed_(seed) {
  for (const nn::TensorInfo& tensor : layout.tensors())
    if (tensor.name.rfind("rnn.weight_hh_", 0) == 0) ranges_.emplace_back(tensor.offset, tensor.offset + tensor.size());
}

bool WeightDrop::kept(std::uint64_t step, std::size_t index) const {
  return nn::uniform01(seed_, weight_drop_stream_base + step, index) >= p_;
}

void WeightDrop::mask(std::vector<float>& parameters, std::uint64_t step) {
  saved_ = parameters;
  step_ = step;
  const float scale = 1.0f / (1.0f - p_);
  // Plain variables, not structured bindings, which clang's OpenMP cannot capture.
  for (const auto& range : ranges_) {
    const std::size_t begin = range.first, end = range.second;
#pragma omp parallel for schedule(static)
    for (std::size_t i = begin; i < end; ++i) parameters[i] = kept(step, i) ? parameters[i] * scale : 0.0f;
  }
}

void WeightDrop::unmask(std::vector<float>& parameters, std::vector<float>& gradients) {
  parameters.swap(saved_);
  const float scale = 1.0f / (1.0f - p_);
  for (const auto& range : ranges_) {
    const std::size_t begin = range.first, end = range.second;
#pragma omp parallel for schedule(static)
    for (std::size_t i = begin; i < end; ++i) gradients[i] = kept(step_, i) ? gradients[i] * scale : 0.0f;
  }
}

}  // namespace charloom::train
