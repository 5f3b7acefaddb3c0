// The tensor layout shared by the network, the model file and the PyTorch parity script.
#include "nn/model_layout.hpp"

namespace charloom::nn {

ParameterLayout language_model_layout(const ModelConfig& config) {
  ParameterLayout layout;
  const std::int64_t vocabulary = config.vocabulary_size, hidden = config.hidden;
  const std::int64_t gate_rows = static_cast<std::int64_t>(gate_count(config.cell)) * hidden;
  layout.add("embedding.weight", {vocabulary, config.embedding_size});
  for (int layer = 0; layer < config.layers; ++layer) {
    const std::string suffix = "_l" + std::to_string(layer);
    layout.add("rnn.weight_ih" + suffix, {gate_rows, config.layer_input(layer)});
    layout.add("rnn.weight_hh" + suffix, {gate_rows, hidden});
    layout.add("rnn.bias_ih" + suffix, {gate_rows});
    layout.add("rnn.bias_hh" + suffix, {gate_rows});
  }
  layout.add("head.weight", {vocabulary, hidden});
  layout.add("head.bias", {vocabulary});
  return layout;
}

}  // namespace charloom::nn
