// The tensor layouts shared by the networks, the model file and the PyTorch parity script.
#include "format/model_layout.hpp"

#include "charloom/errors.hpp"
#include "charloom/model_file.hpp"

namespace charloom::format {
namespace {

// embedding.weight, then each layer's rnn.* tensors (and rnn.*_reverse when bidirectional), as
// nn.Embedding and nn.LSTM name them.
ParameterLayout encoder_layout(const ModelConfig& config) {
  ParameterLayout layout;
  const std::int64_t hidden = config.hidden;
  const std::int64_t gate_rows = static_cast<std::int64_t>(gate_count(config.cell)) * hidden;
  layout.add("embedding.weight", {config.vocabulary_size, config.embedding_size});
  for (int layer = 0; layer < config.layers; ++layer) {
    for (const char* direction : {"", "_reverse"}) {
      if (*direction != '\0' && !config.bidirectional) continue;
      const std::string suffix = "_l" + std::to_string(layer) + direction;
      layout.add("rnn.weight_ih" + suffix, {gate_rows, config.layer_input(layer)});
      layout.add("rnn.weight_hh" + suffix, {gate_rows, hidden});
      layout.add("rnn.bias_ih" + suffix, {gate_rows});
      layout.add("rnn.bias_hh" + suffix, {gate_rows});
    }
  }
  return layout;
}

}  // namespace

ParameterLayout language_model_layout(const ModelConfig& config) {
  ParameterLayout layout = encoder_layout(config);
  layout.add("head.weight", {config.vocabulary_size, config.hidden});
  layout.add("head.bias", {config.vocabulary_size});
  return layout;
}

ParameterLayout classifier_layout(const ModelConfig& config) {
  ParameterLayout layout = encoder_layout(config);
  layout.add("classifier.weight", {1, config.pooled_width()});
  layout.add("classifier.bias", {1});
  return layout;
}

ParameterLayout layout_for_kind(const std::string& kind, const ModelConfig& config) {
  if (kind == language_model_kind) return language_model_layout(config);
  if (kind == sentiment_classifier_kind) return classifier_layout(config);
  throw InputError("unknown model kind '" + kind + "'; this build of charloom knows " + language_model_kind + " and " +
                   sentiment_classifier_kind);
}

}  // namespace charloom::format
