// Forward and backward of the whole language model for one batch.
// Shapes: B = batch streams, T = steps, M = T*B rows, E = embedding, H = hidden, V = vocabulary.
#include "nn/network.hpp"

#include <algorithm>
#include <cmath>

#include "charloom/errors.hpp"
#include "nn/gemm.hpp"
#include "nn/model_layout.hpp"

namespace charloom::nn {

Network::Network(const ModelConfig& config, Precision precision)
    : EncoderModel(config, precision, language_model_layout(config)) {
  if (config_.bidirectional)
    throw UsageError("a language model reads left to right; only classifiers are bidirectional");
  head_weight_offset_ = layout_.find("head.weight").offset;
  head_bias_offset_ = layout_.find("head.bias").offset;
}

void Network::head_forward(const float* top, std::size_t rows) {
  const std::int64_t vocabulary = config_.vocabulary_size, hidden = config_.hidden;
  ensure(logits_, rows * vocabulary);
  const float* bias = parameters_.data() + head_bias_offset_;
  for (std::size_t row = 0; row < rows; ++row) std::copy_n(bias, vocabulary, logits_.data() + row * vocabulary);
  // logits (M, V) = top (M, H) * W^T (H, V) + bias
  gemm('N', 'T', static_cast<std::int64_t>(rows), vocabulary, hidden, top, hidden,
       parameters_.data() + head_weight_offset_, hidden, 1.0f, logits_.data(), vocabulary);
}

namespace {

// Fused, numerically stable softmax cross-entropy over rows of logits. Returns the summed
// loss; when `gradient_scale` is nonzero, overwrites logits with scale * (softmax - onehot).
double softmax_cross_entropy(float* logits, const std::uint32_t* targets, std::size_t rows, std::size_t width,
                             float gradient_scale, std::vector<double>& row_losses) {
  if (row_losses.size() < rows) row_losses.resize(rows);
#pragma omp parallel for schedule(static)
  for (std::size_t row = 0; row < rows; ++row) {
    float* z = logits + row * width;
    const float peak = *std::max_element(z, z + width);
    double total = 0.0;
    for (std::size_t j = 0; j < width; ++j) total += std::exp(static_cast<double>(z[j] - peak));
    row_losses[row] = std::log(total) + peak - z[targets[row]];
    if (gradient_scale != 0.0f) {
      const double inverse = 1.0 / total;
      for (std::size_t j = 0; j < width; ++j)
        z[j] = gradient_scale * static_cast<float>(std::exp(static_cast<double>(z[j] - peak)) * inverse);
      z[targets[row]] -= gradient_scale;
    }
  }
  // A serial sum keeps the result independent of the thread count.
  double loss = 0.0;
  for (std::size_t row = 0; row < rows; ++row) loss += row_losses[row];
  return loss;
}

}  // namespace

const float* Network::forward_logits(const std::uint32_t* inputs, int steps, int batch, StreamState& state) {
  const std::size_t rows = static_cast<std::size_t>(steps) * batch;
  head_forward(encoder_.forward(parameters_, inputs, steps, batch, state, false, 0, 0), rows);
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
  head_forward(top, rows);
  const double loss =
      softmax_cross_entropy(logits_.data(), targets, rows, vocabulary, 1.0f / static_cast<float>(rows), row_losses_);

  // Head: d(top) = dlogits (M, V) * W (V, H); dW = dlogits^T (V, M) * top (M, H); db = column sums.
  ensure(top_gradient_, rows * hidden);
  const std::int64_t m = static_cast<std::int64_t>(rows);
  gemm('N', 'N', m, hidden, vocabulary, logits_.data(), vocabulary, parameters_.data() + head_weight_offset_, hidden,
       0.0f, top_gradient_.data(), hidden);
  gemm('T', 'N', vocabulary, hidden, m, logits_.data(), vocabulary, top, hidden, 0.0f,
       gradients_.data() + head_weight_offset_, hidden);
  float* bias_gradient = gradients_.data() + head_bias_offset_;
  std::fill_n(bias_gradient, vocabulary, 0.0f);
  for (std::size_t row = 0; row < rows; ++row)
    for (std::int64_t j = 0; j < vocabulary; ++j) bias_gradient[j] += logits_[row * vocabulary + j];
  // head.weight and head.bias sit side by side at the end of the buffer.
  if (ready) ready(head_weight_offset_, static_cast<std::size_t>(vocabulary) * (hidden + 1));

  encoder_.backward(top_gradient_.data(), gradients_, ready);
  encoder_.carry(state);
  return loss / static_cast<double>(rows);
}

}  // namespace charloom::nn
