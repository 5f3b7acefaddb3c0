// Forward and backward of the whole language model for one batch.
// Shapes: B = batch streams, T = steps, M = T*B rows, E = embedding, H = hidden, V = vocabulary.
#include "nn/network.hpp"

#include "charloom/errors.hpp"
#include "format/model_layout.hpp"

namespace charloom::nn {

Network::Network(const ModelConfig& config, Precision precision)
    : EncoderModel(config, precision, format::language_model_layout(config)) {
  if (config_.bidirectional)
    throw UsageError("a language model reads left to right; only classifiers are bidirectional");
  head_weight_offset_ = layout_.find("head.weight").offset;
  head_bias_offset_ = layout_.find("head.bias").offset;
}

SoftmaxHead Network::head() const {
  return {parameters_.data() + head_weight_offset_, parameters_.data() + head_bias_offset_, config_.vocabulary_size,
          config_.hidden};
}

const float* Network::forward_logits(const std::uint32_t* inputs, int steps, int batch, StreamState& state) {
  const std::size_t rows = static_cast<std::size_t>(steps) * batch;
  head().forward(encoder_.forward(parameters_, inputs, steps, batch, state, false, 0, 0), rows, logits_);
  encoder_.carry(state);
  return logits_.data();
}

double Network::score_batch(const std::uint32_t* inputs, const std::uint32_t* targets, int steps, int batch,
                            StreamState& state) {
  const std::size_t rows = static_cast<std::size_t>(steps) * batch;
  forward_logits(inputs, steps, batch, state);
  return softmax_cross_entropy(logits_.data(), targets, rows, config_.vocabulary_size, 0.0f, row_losses_);
}

double Network::train_batch(const std::uint32_t* inputs, const std::uint32_t* targets, int steps, int batch,
                            StreamState& state, std::uint64_t dropout_seed, std::uint64_t step,
                            const GradientsReady& ready) {
  const std::size_t rows = static_cast<std::size_t>(steps) * batch;
  const std::int64_t vocabulary = config_.vocabulary_size, hidden = config_.hidden;
  const float* top = encoder_.forward(parameters_, inputs, steps, batch, state, true, dropout_seed, step);
  head().forward(top, rows, logits_);
  const double loss =
      softmax_cross_entropy(logits_.data(), targets, rows, vocabulary, 1.0f / static_cast<float>(rows), row_losses_);
  ensure(top_gradient_, rows * hidden);
  head().backward(top, rows, logits_.data(), top_gradient_.data(), gradients_.data() + head_weight_offset_,
                  gradients_.data() + head_bias_offset_);
  // head.weight and head.bias sit side by side at the end of the buffer.
  if (ready) ready(head_weight_offset_, static_cast<std::size_t>(vocabulary) * (hidden + 1));

  encoder_.backward(top_gradient_.data(), gradients_, ready);
  encoder_.carry(state);
  return loss / static_cast<double>(rows);
}

}  // namespace charloom::nn
