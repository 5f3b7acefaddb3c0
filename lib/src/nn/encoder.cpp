// Embedding, dropout and the recurrent stack, forward and backward, on the owner's buffers.
#include "nn/encoder.hpp"

#include <algorithm>

#include "charloom/errors.hpp"
#include "nn/random.hpp"

namespace charloom::nn {
namespace {

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

Encoder::Encoder(const ModelConfig& config, Precision precision, const ParameterLayout& layout) : config_(config) {
  embedding_offset_ = layout.find("embedding.weight").offset;
  for (int layer = 0; layer < config_.layers; ++layer) {
    const std::string suffix = "_l" + std::to_string(layer);
    layer_offsets_.push_back(LayerOffsets{layout.find("rnn.weight_ih" + suffix).offset,
                                          layout.find("rnn.weight_hh" + suffix).offset,
                                          layout.find("rnn.bias_ih" + suffix).offset,
                                          layout.find("rnn.bias_hh" + suffix).offset});
    layers_.emplace_back(config_.cell, config_.layer_input(layer), config_.hidden, precision);
  }
  outputs_.resize(config_.layers);
  dropped_.resize(config_.layers);
  masks_.resize(config_.layers + 1);
  next_h_.resize(config_.layers);
  next_c_.resize(config_.layers);
}

LayerTensors Encoder::layer_view(std::vector<float>& buffer, int layer) const {
  const LayerOffsets& o = layer_offsets_[layer];
  return LayerTensors{buffer.data() + o.w_ih, buffer.data() + o.w_hh, buffer.data() + o.b_ih, buffer.data() + o.b_hh};
}

void Encoder::parameters_changed(std::vector<float>& parameters) {
  for (int layer = 0; layer < config_.layers; ++layer) layers_[layer].set_weights(layer_view(parameters, layer));
}

void Encoder::embed(const std::vector<float>& parameters, const std::uint32_t* inputs, std::size_t rows) {
  const std::size_t width = config_.embedding_size;
  ensure(embedded_, rows * width);
  const float* table = parameters.data() + embedding_offset_;
  for (std::size_t row = 0; row < rows; ++row) {
    if (inputs[row] >= static_cast<std::uint32_t>(config_.vocabulary_size))
      throw Error("unit id " + std::to_string(inputs[row]) + " is outside the vocabulary");
    std::copy_n(table + inputs[row] * width, width, embedded_.data() + row * width);
  }
}

void Encoder::apply_dropout(int site, std::size_t count, float* values, std::uint64_t seed, std::uint64_t step) {
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

const float* Encoder::forward(const std::vector<float>& parameters, const std::uint32_t* inputs, int steps, int batch,
                              StreamState& state, bool training, std::uint64_t seed, std::uint64_t step) {
  const std::size_t rows = static_cast<std::size_t>(steps) * batch;
  const std::size_t state_size = static_cast<std::size_t>(batch) * config_.hidden;
  inputs_ = inputs;
  rows_ = rows;
  embed(parameters, inputs, rows);
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
    // Dropout sits between layers, as in nn.LSTM(dropout=p); the top layer's output is as is.
    if (dropout && layer + 1 < config_.layers) {
      ensure(dropped_[layer], rows * config_.hidden);
      std::copy_n(outputs_[layer].data(), rows * config_.hidden, dropped_[layer].data());
      apply_dropout(layer + 1, rows * config_.hidden, dropped_[layer].data(), seed, step);
      src = dropped_[layer].data();
    }
  }
  return src;
}

void Encoder::carry(StreamState& state) {
  for (int layer = 0; layer < config_.layers; ++layer) {
    std::swap(state.h[layer], next_h_[layer]);
    if (config_.cell == CellKind::lstm) std::swap(state.c[layer], next_c_[layer]);
  }
}

void Encoder::backward(const float* top_gradient, std::vector<float>& gradients) {
  const std::size_t rows = rows_;
  const std::size_t hidden = config_.hidden, embedding = config_.embedding_size;
  const std::size_t width = std::max(hidden, embedding);
  ensure(grad_a_, rows * width);
  ensure(grad_b_, rows * width);
  std::copy_n(top_gradient, rows * hidden, grad_a_.data());
  // Down the stack: undo each dropout, then the layer's own backward.
  const bool dropout = config_.dropout > 0.0f;
  for (int layer = config_.layers - 1; layer >= 0; --layer) {
    if (dropout && layer + 1 < config_.layers) {
      const float* mask = masks_[layer + 1].data();
      for (std::size_t i = 0; i < rows * hidden; ++i) grad_a_[i] *= mask[i];
    }
    layers_[layer].backward(grad_a_.data(), grad_b_.data(), layer_view(gradients, layer));
    std::swap(grad_a_, grad_b_);
  }
  // Embedding: scatter the input gradient into the rows that were looked up.
  if (dropout) {
    const float* mask = masks_[0].data();
    for (std::size_t i = 0; i < rows * embedding; ++i) grad_a_[i] *= mask[i];
  }
  float* table_gradient = gradients.data() + embedding_offset_;
  std::fill_n(table_gradient, static_cast<std::size_t>(config_.vocabulary_size) * embedding, 0.0f);
  for (std::size_t row = 0; row < rows; ++row) {
    float* dst = table_gradient + inputs_[row] * embedding;
    const float* src = grad_a_.data() + row * embedding;
    for (std::size_t j = 0; j < embedding; ++j) dst[j] += src[j];
  }
}

}  // namespace charloom::nn
