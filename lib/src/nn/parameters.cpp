// The flat parameter layout.
#include "nn/parameters.hpp"

#include <algorithm>
#include <cmath>

#include "charloom/errors.hpp"
#include "nn/random.hpp"

namespace charloom::nn {

void initialize_parameters(const ParameterLayout& layout, int hidden, std::uint64_t seed, std::vector<float>& values) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(hidden));
  for (std::size_t t = 0; t < layout.tensors().size(); ++t) {
    const TensorInfo& tensor = layout.tensors()[t];
    float* out = values.data() + tensor.offset;
    const std::size_t count = tensor.size();
    if (tensor.name == "embedding.weight") {
      // Box-Muller on pairs of uniforms.
      for (std::size_t i = 0; i < count; ++i) {
        const float u1 = std::max(uniform01(seed, t, 2 * i), 1e-7f), u2 = uniform01(seed, t, 2 * i + 1);
        out[i] = std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853f * u2);
      }
    } else {
      for (std::size_t i = 0; i < count; ++i) out[i] = (2.0f * uniform01(seed, t, i) - 1.0f) * bound;
    }
  }
}

std::vector<NamedTensor> named_tensors(const ParameterLayout& layout, const std::vector<float>& values) {
  std::vector<NamedTensor> tensors;
  for (const TensorInfo& info : layout.tensors()) {
    const float* begin = values.data() + info.offset;
    tensors.push_back({info.name, info.shape, std::vector<float>(begin, begin + info.size())});
  }
  return tensors;
}

void copy_tensors(const ParameterLayout& layout, const std::vector<NamedTensor>& tensors, std::vector<float>& values) {
  for (const TensorInfo& info : layout.tensors()) {
    auto found =
        std::find_if(tensors.begin(), tensors.end(), [&](const NamedTensor& t) { return t.name == info.name; });
    if (found == tensors.end() || found->values.size() != info.size())
      throw Error("tensor " + info.name + " is missing or has the wrong size");
    std::copy(found->values.begin(), found->values.end(), values.begin() + static_cast<std::ptrdiff_t>(info.offset));
  }
}

}  // namespace charloom::nn
