// Every parameter of a model in one contiguous buffer, with named tensors as views into it,
// so clipping, the optimizer, checkpoints and an allreduce are each one pass over one buffer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "charloom/model_file.hpp"
#include "format/tensor_layout.hpp"

namespace charloom::nn {

using format::ParameterLayout;
using format::TensorInfo;

// PyTorch's default initialization, drawn from a counter-based generator: embedding.weight
// N(0, 1) as nn.Embedding, every other tensor U(-1/sqrt(H), 1/sqrt(H)) as nn.LSTM and nn.Linear.
void initialize_parameters(const ParameterLayout& layout, int hidden, std::uint64_t seed, std::vector<float>& values);

// The buffer's tensors, named and shaped by the layout, as a model file stores them.
std::vector<NamedTensor> named_tensors(const ParameterLayout& layout, const std::vector<float>& values);

// Copies named tensors (as a checked model file holds them) into a flat buffer; throws Error
// when one is missing or has the wrong size.
void copy_tensors(const ParameterLayout& layout, const std::vector<NamedTensor>& tensors, std::vector<float>& values);

}  // namespace charloom::nn
