// Forward and backward of the whole language model for one batch.
// Shapes: B = batch streams, T = steps, M = T*B rows, E = embedding, H = hidden, V = vocabulary.
#include "nn/network.hpp"

#include <dnnl.hpp>

#include <algorithm>
#include <cmath>

#include "charloom/errors.hpp"
#include "nn/model_layout.hpp"
#include "nn/random.hpp"

namespace charloom::nn {
namespace {

// Grows a buffer to at least `count` floats; never shrinks, so steady state allocates nothing.
void ensure(std::vector<float>& buffer, std::size_t count) {
  if (buffer.size() < count) buffer.resize(count);
}

// Row-major C (M, N) = alpha * op(A) * op(B) + beta * C through oneDNN's sgemm.
void gemm(char trans_a, char trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
          std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  if (dnnl_sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc) != dnnl_success)
    throw Error("oneDNN sgemm failed");
}

constexpr std::uint64_t dropout_sites_per_step = 128;  // more than layers + 1 can reach
// Dropout streams start far above the initialization streams (one per tensor) of the same seed.
constexpr std::uint64_t dropout_stream_base = std::uint64_t{1} << 32;

}  // namespace

void StreamState::reset(const ModelConfig& config, int batch_size) {
  batch = batch_size;
  const std::size_t size = static_cast<std::size_t>(batch_size) * config.hidden;
  h.assign(config.layers, std::vector<float>(size, 0.0f));
  c.assign(config.cell == CellKind::lstm ? config.layers : 0, std::vector<float>(size, 0.0f));
}

Network::Network(const ModelConfig& config, Precision precision) : config_(config) {
  config_.validate();
  layout_ = language_model_layout(config_);
  embedding_offset_ = layout_.find("embedding.weight").offset;
  for (int layer = 0; layer < config_.layers; ++layer) {
    const std::string suffix = "_l" + std::to_string(layer);
    layer_offsets_.push_back(LayerOffsets{layout_.find("rnn.weight_ih" + suffix).offset,
                                          layout_.find("rnn.weight_hh" + suffix).offset,
                                          layout_.find("rnn.bias_ih" + suffix).offset,
                                          layout_.find("rnn.bias_hh" + suffix).offset});
    layers_.emplace_back(config_.cell, config_.layer_input(layer), config_.hidden, precision);
  }
  head_weight_offset_ = layout_.find("head.weight").offset;
  head_bias_offset_ = layout_.find("head.bias").offset;
  parameters_.assign(layout_.total(), 0.0f);
  gradients_.assign(layout_.total(), 0.0f);
  outputs_.resize(config_.layers);
  dropped_.resize(config_.layers);
  masks_.resize(config_.layers + 1);
  next_h_.resize(config_.layers);
  next_c_.resize(config_.layers);
}

LayerTensors Network::layer_view(std::vector<float>& buffer, int layer) {
  const LayerOffsets& o = layer_offsets_[layer];
  return LayerTensors{buffer.data() + o.w_ih, buffer.data() + o.w_hh, buffer.data() + o.b_ih, buffer.data() + o.b_hh};
}

void Network::initialize(std::uint64_t seed) {
  const float rnn_bound = 1.0f / std::sqrt(static_cast<float>(config_.hidden));
  for (std::size_t t = 0; t < layout_.tensors().size(); ++t) {
    const TensorInfo& tensor = layout_.tensors()[t];
    float* values = parameters_.data() + tensor.offset;
    const std::size_t count = tensor.size();
    if (tensor.name == "embedding.weight") {
      // nn.Embedding: N(0, 1), by Box-Muller on pairs of uniforms.
      for (std::size_t i = 0; i < count; ++i) {
        const float u1 = std::max(uniform01(seed, t, 2 * i), 1e-7f), u2 = uniform01(seed, t, 2 * i + 1);
        values[i] = std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853f * u2);
      }
    } else {
      // nn.LSTM/GRU/RNN and nn.Linear(H, V): U(-1/sqrt(H), 1/sqrt(H)).
      for (std::size_t i = 0; i < count; ++i) values[i] = (2.0f * uniform01(seed, t, i) - 1.0f) * rnn_bound;
    }
  }
  parameters_changed();
}

void Network::parameters_changed() {
  for (int layer = 0; layer < config_.layers; ++layer) layers_[layer].set_weights(layer_view(parameters_, layer));
}

void Network::load_tensors(const std::vector<NamedTensor>& tensors) {
  for (const TensorInfo& info : layout_.tensors()) {
    auto found = std::find_if(tensors.begin(), tensors.end(), [&](const NamedTensor& t) { return t.name == info.name; });
    if (found == tensors.end() || found->values.size() != info.size())
      throw Error("tensor " + info.name + " is missing or has the wrong size");
    std::copy(found->values.begin(), found->values.end(), parameters_.begin() + static_cast<std::ptrdiff_t>(info.offset));
  }
  parameters_changed();
}

void Network::embed(const std::uint32_t* inputs, std::size_t rows) {
  const std::size_t width = config_.embedding_size;
  ensure(embedded_, rows * width);
  const float* table = parameters_.data() + embedding_offset_;
  for (std::size_t row = 0; row < rows; ++row) {
    if (inputs[row] >= static_cast<std::uint32_t>(config_.vocabulary_size))
      throw Error("unit id " + std::to_string(inputs[row]) + " is outside the vocabulary");
    std::copy_n(table + inputs[row] * width, width, embedded_.data() + row * width);
  }
}

void Network::apply_dropout(int site, std::size_t count, float* values, std::uint64_t seed, std::uint64_t step) {
  std::vector<float>& mask = masks_[site];
  ensure(mask, count);
  const float p = config_.dropout, keep_scale = 1.0f / (1.0f - p);
  const std::uint64_t stream = dropout_stream_base + step * dropout_sites_per_step + static_cast<std::uint64_t>(site);
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < count; ++i) {
    mask[i] = uniform01(seed, stream, i) >= p ? keep_scale : 0.0f;
    values[i] *= mask[i];
  }
}

const float* Network::run_layers(int steps, int batch, StreamState& state, bool training, std::uint64_t seed,
                                 std::uint64_t step) {
  const std::size_t rows = static_cast<std::size_t>(steps) * batch;
  const std::size_t state_size = static_cast<std::size_t>(batch) * config_.hidden;
  const bool dropout = training && config_.dropout > 0.0f;
  if (dropout) apply_dropout(0, rows * config_.embedding_size, embedded_.data(), seed, step);
  const float* src = embedded_.data();
  const bool lstm = config_.cell == CellKind::lstm;
  for (int layer = 0; layer < config_.layers; ++layer) {
    ensure(outputs_[layer], rows * config_.hidden);
    ensure(next_h_[layer], state_size);
    if (lstm) ensure(next_c_[layer], state_size);
    float* c_in = lstm ? state.c[layer].data() : nullptr;
    float* c_out = lstm ? next_c_[layer].data() : nullptr;
    if (training) {
      layers_[layer].forward_training(steps, batch, src, outputs_[layer].data(), state.h[layer].data(), c_in,
                                      next_h_[layer].data(), c_out);
    } else {
      layers_[layer].forward_inference(steps, batch, src, outputs_[layer].data(), state.h[layer].data(), c_in,
                                       next_h_[layer].data(), c_out);
    }
    src = outputs_[layer].data();
    // Dropout sits between layers, as in nn.LSTM(dropout=p); the head sees the last layer as is.
    if (dropout && layer + 1 < config_.layers) {
      ensure(dropped_[layer], rows * config_.hidden);
      std::copy_n(outputs_[layer].data(), rows * config_.hidden, dropped_[layer].data());
      apply_dropout(layer + 1, rows * config_.hidden, dropped_[layer].data(), seed, step);
      src = dropped_[layer].data();
    }
  }
  return src;
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
  embed(inputs, rows);
  const float* top = run_layers(steps, batch, state, false, 0, 0);
  head_forward(top, rows);
  for (int layer = 0; layer < config_.layers; ++layer) {
    std::swap(state.h[layer], next_h_[layer]);
    if (config_.cell == CellKind::lstm) std::swap(state.c[layer], next_c_[layer]);
  }
  return logits_.data();
}

double Network::score_batch(const std::uint32_t* inputs, const std::uint32_t* targets, int steps, int batch,
                            StreamState& state) {
  const std::size_t rows = static_cast<std::size_t>(steps) * batch;
  forward_logits(inputs, steps, batch, state);
  return softmax_cross_entropy(logits_.data(), targets, rows, config_.vocabulary_size, 0.0f, row_losses_);
}

double Network::train_batch(const std::uint32_t* inputs, const std::uint32_t* targets, int steps, int batch,
                            StreamState& state, std::uint64_t dropout_seed, std::uint64_t step) {
  const std::size_t rows = static_cast<std::size_t>(steps) * batch;
  const std::int64_t vocabulary = config_.vocabulary_size, hidden = config_.hidden;
  const std::int64_t embedding = config_.embedding_size;
  embed(inputs, rows);
  const float* top = run_layers(steps, batch, state, true, dropout_seed, step);
  head_forward(top, rows);
  const double loss = softmax_cross_entropy(logits_.data(), targets, rows, vocabulary,
                                            1.0f / static_cast<float>(rows), row_losses_);

  // Head: d(top) = dlogits (M, V) * W (V, H); dW = dlogits^T (V, M) * top (M, H); db = column sums.
  const std::size_t width = static_cast<std::size_t>(std::max(hidden, embedding));
  ensure(grad_a_, rows * width);
  ensure(grad_b_, rows * width);
  const std::int64_t m = static_cast<std::int64_t>(rows);
  gemm('N', 'N', m, hidden, vocabulary, logits_.data(), vocabulary, parameters_.data() + head_weight_offset_, hidden,
       0.0f, grad_a_.data(), hidden);
  gemm('T', 'N', vocabulary, hidden, m, logits_.data(), vocabulary, top, hidden, 0.0f,
       gradients_.data() + head_weight_offset_, hidden);
  float* bias_gradient = gradients_.data() + head_bias_offset_;
  std::fill_n(bias_gradient, vocabulary, 0.0f);
  for (std::size_t row = 0; row < rows; ++row)
    for (std::int64_t j = 0; j < vocabulary; ++j) bias_gradient[j] += logits_[row * vocabulary + j];

  // Down the stack: undo each dropout, then the layer's own backward.
  const bool dropout = config_.dropout > 0.0f;
  for (int layer = config_.layers - 1; layer >= 0; --layer) {
    if (dropout && layer + 1 < config_.layers) {
      const float* mask = masks_[layer + 1].data();
      for (std::size_t i = 0; i < rows * hidden; ++i) grad_a_[i] *= mask[i];
    }
    layers_[layer].backward(grad_a_.data(), grad_b_.data(), layer_view(gradients_, layer));
    std::swap(grad_a_, grad_b_);
  }
  // Embedding: scatter the input gradient into the rows that were looked up.
  if (dropout) {
    const float* mask = masks_[0].data();
    for (std::size_t i = 0; i < rows * embedding; ++i) grad_a_[i] *= mask[i];
  }
  float* table_gradient = gradients_.data() + embedding_offset_;
  std::fill_n(table_gradient, static_cast<std::size_t>(vocabulary * embedding), 0.0f);
  for (std::size_t row = 0; row < rows; ++row) {
    float* dst = table_gradient + inputs[row] * embedding;
    const float* src = grad_a_.data() + row * embedding;
    for (std::int64_t j = 0; j < embedding; ++j) dst[j] += src[j];
  }

  for (int layer = 0; layer < config_.layers; ++layer) {
    std::swap(state.h[layer], next_h_[layer]);
    if (config_.cell == CellKind::lstm) std::swap(state.c[layer], next_c_[layer]);
  }
  return loss / static_cast<double>(rows);
}

}  // namespace charloom::nn
