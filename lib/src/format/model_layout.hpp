// The names and shapes of a language model's tensors, in PyTorch's state_dict layout.
#pragma once

#include "charloom/model_config.hpp"
#include "format/tensor_layout.hpp"

namespace charloom::format {

// embedding.weight (V, E); per layer k rnn.weight_ih_lk (G*H, I), rnn.weight_hh_lk (G*H, H),
// rnn.bias_ih_lk (G*H), rnn.bias_hh_lk (G*H); head.weight (V, H); head.bias (V).
ParameterLayout language_model_layout(const ModelConfig& config);

// The same embedding and rnn tensors, then classifier.weight (1, H or 2H) and classifier.bias (1).
ParameterLayout classifier_layout(const ModelConfig& config);

// The layout of a model file's kind; throws InputError for a kind this build does not know.
ParameterLayout layout_for_kind(const std::string& kind, const ModelConfig& config);

}  // namespace charloom::format
