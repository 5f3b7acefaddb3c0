// Embedding, dropout and the recurrent stack, forward and backward, on the owner's buffers.
#include "nn/encoder.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "charloom/errors.hpp"
#include "nn/random.hpp"

namespace charloom::nn {
namespace {

constexpr std::uint64_t dropout_sites_per_step = 128;  // more than layers + 1 can reach
// Dropout streams start far above the initialization streams (one per tensor) of the same seed.
constexpr std::uint64_t dropout_stream_base = std::uint64_t{1} << 32;

// Clones for AVX-512 (x86-64-v4) let the compiler vectorize the hash's 64-bit multiplies
// and the masking on CPUs that have it; other CPUs run the default build of the same code.
#define CHARLOOM_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "default")))

// out = in * scale where kept, 0 elsewhere.
CHARLOOM_VECTOR_CLONES void mask_chunk(const std::uint8_t* kept, const float* in, float* out, std::size_t count,
                                       float scale) {
  for (std::size_t i = 0; i < count; ++i) out[i] = kept[i] != 0 ? in[i] * scale : 0.0f;
}

struct DropRow {
  std::uint64_t key, origin;  // the site's hash key; the row's first element in the global batch
  std::size_t width;
  std::uint64_t threshold;  // p in units of 1/65536
  float scale;              // 1 / (1 - p)
};

// One row of dropout. Element i draws 16 bits: lane i % 4 of hash i / 4, in memory order
// (little-endian on x86), so one hash serves four elements. `draws` holds width + 8 entries.
CHARLOOM_VECTOR_CLONES void drop_row(const DropRow& row, const float* in, float* out, std::uint8_t* kept,
                                     std::uint16_t* draws) {
  const std::uint64_t first_word = row.origin / 4, words = (row.origin + row.width - 1) / 4 - first_word + 1;
  for (std::uint64_t w = 0; w < words; ++w) {
    const std::uint64_t hash = mix64(row.key + first_word + w);
    std::memcpy(draws + 4 * w, &hash, sizeof hash);
  }
  const std::uint16_t* draw = draws + row.origin % 4;
  for (std::size_t j = 0; j < row.width; ++j) kept[j] = draw[j] >= row.threshold ? 1 : 0;
  mask_chunk(kept, in, out, row.width, row.scale);
}

}  // namespace

void StreamState::reset(const ModelConfig& config, int batch_size) {
  batch = batch_size;
  const std::size_t size = static_cast<std::size_t>(batch_size) * config.hidden;
  h.assign(config.layers, std::vector<float>(size, 0.0f));
  c.assign(config.cell == CellKind::lstm ? config.layers : 0, std::vector<float>(size, 0.0f));
}

Encoder::Encoder(const ModelConfig& config, Precision precision, const ParameterLayout& layout)
    : config_(config), precision_(precision) {
  embedding_offset_ = layout.find("embedding.weight").offset;
  const int directions = config_.bidirectional ? 2 : 1;
  for (int direction = 0; direction < directions; ++direction) {
    for (int layer = 0; layer < config_.layers; ++layer) {
      const std::string suffix = "_l" + std::to_string(layer) + (direction == 1 ? "_reverse" : "");
      layer_offsets_.push_back(
          LayerOffsets{layout.find("rnn.weight_ih" + suffix).offset, layout.find("rnn.weight_hh" + suffix).offset,
                       layout.find("rnn.bias_ih" + suffix).offset, layout.find("rnn.bias_hh" + suffix).offset});
      layers_.emplace_back(config_.cell, config_.layer_input(layer), config_.hidden, precision);
    }
  }
  // The layout puts each layer's tensors (and its reverse direction's) side by side.
  for (int layer = 0; layer < config_.layers; ++layer) {
    const std::string last = "rnn.bias_hh_l" + std::to_string(layer) + (config_.bidirectional ? "_reverse" : "");
    const std::size_t begin = layout.find("rnn.weight_ih_l" + std::to_string(layer)).offset;
    layer_ranges_.emplace_back(begin, layout.find(last).offset + layout.find(last).size() - begin);
  }
  outputs_.resize(config_.layers);
  dropped_.resize(config_.layers);
  masks_.resize(config_.layers + 1);
  next_h_.resize(config_.layers);
  next_c_.resize(config_.layers);
  reversed_in_.resize(config_.layers);
  reversed_out_.resize(config_.layers);
  reversed_final_.resize(config_.layers);
  forward_out_.resize(config_.layers);
}

LayerTensors Encoder::layer_view(std::vector<float>& buffer, int index) const {
  const LayerOffsets& o = layer_offsets_[index];
  return LayerTensors{buffer.data() + o.w_ih, buffer.data() + o.w_hh, buffer.data() + o.b_ih, buffer.data() + o.b_hh};
}

void Encoder::reverse_within_lengths(const float* src, float* dst, std::size_t width) const {
  const std::size_t batch = static_cast<std::size_t>(batch_);
  for (std::size_t b = 0; b < batch; ++b) {
    const std::size_t length = static_cast<std::size_t>(lengths_[b]);
    for (std::size_t t = 0; t < static_cast<std::size_t>(steps_); ++t) {
      float* out = dst + (t * batch + b) * width;
      if (t < length) {
        std::copy_n(src + ((length - 1 - t) * batch + b) * width, width, out);
      } else {
        std::fill_n(out, width, 0.0f);
      }
    }
  }
}

void Encoder::parameters_changed(std::vector<float>& parameters) {
  // int8 layers need the range of their inputs: the embedding table's for the first layer
  // (the table is all it can read), (-1, 1) for the hidden states above it.
  float embedding_bound = 1.0f;
  if (precision_ == Precision::int8) {
    const float* table = parameters.data() + embedding_offset_;
    const std::size_t count = static_cast<std::size_t>(config_.vocabulary_size) * config_.embedding_size;
    embedding_bound = 0.0f;
    for (std::size_t i = 0; i < count; ++i) embedding_bound = std::max(embedding_bound, std::fabs(table[i]));
  }
  for (std::size_t index = 0; index < layers_.size(); ++index) {
    const bool first = static_cast<int>(index) % config_.layers == 0;
    layers_[index].set_weights(layer_view(parameters, static_cast<int>(index)), first ? embedding_bound : 1.0f);
  }
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

void Encoder::apply_dropout(int site, std::size_t count, const float* in, float* out, std::uint64_t seed,
                            std::uint64_t step) {
  std::vector<std::uint8_t>& kept = masks_[site];
  if (kept.size() < count) kept.resize(count);
  const float scale = 1.0f / (1.0f - config_.dropout);
  // Each element draws 16 bits, four from one 64-bit hash: a quarter of the hashing of a draw
  // per element, with p rounded to a multiple of 1/65536.
  const auto threshold = static_cast<std::uint64_t>(std::lround(static_cast<double>(config_.dropout) * 65536.0));
  const std::uint64_t key =
      mix64(seed ^ mix64(dropout_stream_base + step * dropout_sites_per_step + static_cast<std::uint64_t>(site)));
  // Element (t, b, j) draws number (t * total + first + b) * width + j: the index it has when
  // one process holds every stream, whichever share of them this process has.
  const std::size_t rows = rows_, batch = static_cast<std::size_t>(batch_), width = count / rows;
  const std::size_t total = total_streams_ > 0 ? static_cast<std::size_t>(total_streams_) : batch;
  const std::size_t first = static_cast<std::size_t>(first_stream_);
#pragma omp parallel
  {
    // Per thread, kept across steps: OpenMP's threads live as long as the process.
    thread_local std::vector<std::uint16_t> draws;
    if (draws.size() < width + 8) draws.resize(width + 8);
#pragma omp for schedule(static)
    for (std::size_t row = 0; row < rows; ++row) {
      const std::uint64_t origin = ((row / batch) * total + first + row % batch) * width;
      drop_row(DropRow{key, origin, width, threshold, scale}, in + row * width, out + row * width,
               kept.data() + row * width, draws.data());
    }
  }
}

void Encoder::undo_dropout(int site, std::size_t count, const float* gradient, float* out) const {
  const std::uint8_t* kept = masks_[site].data();
  const float scale = 1.0f / (1.0f - config_.dropout);
  constexpr std::size_t chunk = 4096;
#pragma omp parallel for schedule(static)
  for (std::size_t begin = 0; begin < count; begin += chunk)
    mask_chunk(kept + begin, gradient + begin, out + begin, std::min(chunk, count - begin), scale);
}

const float* Encoder::forward(const std::vector<float>& parameters, const std::uint32_t* inputs, int steps, int batch,
                              StreamState& state, bool training, std::uint64_t seed, std::uint64_t step,
                              const int* lengths) {
  const std::size_t rows = static_cast<std::size_t>(steps) * batch;
  const std::size_t state_size = static_cast<std::size_t>(batch) * config_.hidden;
  const std::size_t hidden = static_cast<std::size_t>(config_.hidden),
                    width = static_cast<std::size_t>(config_.output_width());
  if (config_.bidirectional && lengths == nullptr) throw Error("a bidirectional encoder needs the texts' lengths");
  inputs_ = inputs;
  lengths_ = lengths;
  steps_ = steps;
  batch_ = batch;
  rows_ = rows;
  embed(parameters, inputs, rows);
  const bool dropout = training && config_.dropout > 0.0f;
  if (dropout) apply_dropout(0, rows * config_.embedding_size, embedded_.data(), embedded_.data(), seed, step);
  const float* src = embedded_.data();
  const bool lstm = config_.cell == CellKind::lstm;
  for (int layer = 0; layer < config_.layers; ++layer) {
    ensure(outputs_[layer], rows * width);
    ensure(next_h_[layer], state_size);
    if (lstm) ensure(next_c_[layer], state_size);
    float* c_in = lstm ? state.c[layer].data() : nullptr;
    float* c_out = lstm ? next_c_[layer].data() : nullptr;
    const auto run = [&](RecurrentLayer& recurrent, const float* in, float* out, const float* h0, const float* c0,
                         float* h_out, float* c_end) {
      if (training) {
        recurrent.forward_training(steps, batch, in, out, h0, c0, h_out, c_end);
      } else {
        recurrent.forward_inference(steps, batch, in, out, h0, c0, h_out, c_end);
      }
    };
    if (!config_.bidirectional) {
      run(layers_[layer], src, outputs_[layer].data(), state.h[layer].data(), c_in, next_h_[layer].data(), c_out);
    } else {
      // Forward over the texts as they are, reverse over each text reversed, side by side.
      const std::size_t in_width = static_cast<std::size_t>(config_.layer_input(layer));
      ensure(forward_out_[layer], rows * hidden);
      ensure(reversed_in_[layer], rows * in_width);
      ensure(reversed_out_[layer], rows * hidden);
      run(layers_[layer], src, forward_out_[layer].data(), state.h[layer].data(), c_in, next_h_[layer].data(), c_out);
      reverse_within_lengths(src, reversed_in_[layer].data(), in_width);
      // The reverse direction's final states are not carried, but backward reads them.
      ensure(reversed_final_[layer], state_size * 2);
      run(layers_[config_.layers + layer], reversed_in_[layer].data(), reversed_out_[layer].data(), nullptr, nullptr,
          reversed_final_[layer].data(), lstm ? reversed_final_[layer].data() + state_size : nullptr);
      ensure(grad_a_, rows * hidden);
      reverse_within_lengths(reversed_out_[layer].data(), grad_a_.data(), hidden);
      for (std::size_t row = 0; row < rows; ++row) {
        std::copy_n(forward_out_[layer].data() + row * hidden, hidden, outputs_[layer].data() + row * width);
        std::copy_n(grad_a_.data() + row * hidden, hidden, outputs_[layer].data() + row * width + hidden);
      }
    }
    src = outputs_[layer].data();
    // Dropout sits between layers, as in nn.LSTM(dropout=p), and after the top layer when asked.
    if (dropout && dropped_out(layer)) {
      ensure(dropped_[layer], rows * width);
      apply_dropout(layer + 1, rows * width, outputs_[layer].data(), dropped_[layer].data(), seed, step);
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

void Encoder::backward(const float* top_gradient, std::vector<float>& gradients, const GradientsReady& ready) {
  const std::size_t rows = rows_;
  const std::size_t hidden = config_.hidden, embedding = config_.embedding_size;
  const std::size_t width = static_cast<std::size_t>(config_.output_width());
  const std::size_t scratch = std::max(width, embedding);
  ensure(grad_a_, rows * scratch);
  ensure(grad_b_, rows * scratch);
  // Down the stack: undo each dropout, then the layer's own backward. The top's dropout is
  // undone as the gradient is copied in.
  const bool dropout = config_.dropout > 0.0f;
  const int top = config_.layers - 1;
  if (dropout && dropped_out(top)) {
    undo_dropout(top + 1, rows * width, top_gradient, grad_a_.data());
  } else {
    std::copy_n(top_gradient, rows * width, grad_a_.data());
  }
  for (int layer = top; layer >= 0; --layer) {
    if (layer < top && dropout && dropped_out(layer))
      undo_dropout(layer + 1, rows * width, grad_a_.data(), grad_a_.data());
    if (!config_.bidirectional) {
      layers_[layer].backward(grad_a_.data(), grad_b_.data(), layer_view(gradients, layer));
    } else {
      // Split the two directions' gradients; the reverse one goes back in reversed order.
      const std::size_t in_width = static_cast<std::size_t>(config_.layer_input(layer));
      ensure(grad_forward_, rows * hidden);
      ensure(grad_reverse_, rows * hidden);
      ensure(grad_reverse_src_, rows * in_width);
      for (std::size_t row = 0; row < rows; ++row) {
        std::copy_n(grad_a_.data() + row * width, hidden, grad_forward_.data() + row * hidden);
        std::copy_n(grad_a_.data() + row * width + hidden, hidden, grad_b_.data() + row * hidden);
      }
      reverse_within_lengths(grad_b_.data(), grad_reverse_.data(), hidden);
      layers_[layer].backward(grad_forward_.data(), grad_b_.data(), layer_view(gradients, layer));
      layers_[config_.layers + layer].backward(grad_reverse_.data(), grad_reverse_src_.data(),
                                               layer_view(gradients, config_.layers + layer));
      // grad_a_ is free now: the reverse direction's input gradient, back in text order.
      reverse_within_lengths(grad_reverse_src_.data(), grad_a_.data(), in_width);
      for (std::size_t i = 0; i < rows * in_width; ++i) grad_b_[i] += grad_a_[i];
    }
    std::swap(grad_a_, grad_b_);
    if (ready) ready(layer_ranges_[layer].first, layer_ranges_[layer].second);
  }
  // Embedding: scatter the input gradient into the rows that were looked up.
  if (dropout) undo_dropout(0, rows * embedding, grad_a_.data(), grad_a_.data());
  float* table_gradient = gradients.data() + embedding_offset_;
  std::fill_n(table_gradient, static_cast<std::size_t>(config_.vocabulary_size) * embedding, 0.0f);
  for (std::size_t row = 0; row < rows; ++row) {
    float* dst = table_gradient + inputs_[row] * embedding;
    const float* src = grad_a_.data() + row * embedding;
    for (std::size_t j = 0; j < embedding; ++j) dst[j] += src[j];
  }
  if (ready) ready(embedding_offset_, static_cast<std::size_t>(config_.vocabulary_size) * embedding);
}

}  // namespace charloom::nn
