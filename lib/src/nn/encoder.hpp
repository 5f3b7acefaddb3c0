// The part of every charloom model that reads text: an embedding, then a stack of recurrent
// layers with dropout on the embedding output and between layers, forward and backward.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "charloom/model_config.hpp"
#include "nn/parameters.hpp"
#include "nn/recurrent_layer.hpp"

namespace charloom::nn {

// Hidden (and LSTM cell) state of every layer for `batch` streams, each (batch, hidden).
struct StreamState {
  int batch = 0;
  std::vector<std::vector<float>> h, c;
  void reset(const ModelConfig& config, int batch_size);  // zeros
};

// Told each range [offset, offset + count) of the gradient buffer as soon as backward has
// finished it, so that a data-parallel run can start summing it across processes.
using GradientsReady = std::function<void(std::size_t offset, std::size_t count)>;

// Works on views of its owner's flat parameter and gradient buffers, whose layout names the
// tensors embedding.weight and rnn.{weight_ih,weight_hh,bias_ih,bias_hh}_lK as PyTorch does.
// A bidirectional encoder (classifiers only) also has the _reverse tensors. Its reverse
// direction reads each text backwards within the text's own length, so right padding never
// reaches it, and always starts from zeros.
class Encoder {
 public:
  Encoder(const ModelConfig& config, Precision precision, const ParameterLayout& layout);

  // Pushes the weights into the layers; call after every change to the parameters.
  void parameters_changed(std::vector<float>& parameters);

  // B = batch streams, T = steps; inputs time-major (T, B). Returns the top layer's outputs
  // (T*B, H), valid until the next call. `state` holds the states before the batch; the
  // states after it wait in the encoder until carry(state). With `training`, dropout masks
  // are drawn from (seed, step) and the activations are kept for backward().
  // `lengths` (B) gives each text's length; only a bidirectional encoder needs it. The result
  // has config.output_width() columns: forward then reverse outputs when bidirectional.
  const float* forward(const std::vector<float>& parameters, const std::uint32_t* inputs, int steps, int batch,
                       StreamState& state, bool training, std::uint64_t seed, std::uint64_t step,
                       const int* lengths = nullptr);
  // In a data-parallel run this process's batch holds streams [first, first + batch) of
  // `total` streams. Dropout masks are drawn by global stream index, so every stream gets the
  // mask it would get in one process.
  void set_stream_share(int first, int total) {
    first_stream_ = first;
    total_streams_ = total;
  }
  // Also drop out the top layer's outputs (training only), as char-rnn does before its
  // decoder. The language model turns it on; it regularises a large model on a small corpus.
  void set_top_dropout(bool on) { top_dropout_ = on; }
  // Moves the states after the last forward into `state`.
  void carry(StreamState& state);
  // Gradients of the last training forward for d(loss)/d(top outputs) (T*B, H): writes (not
  // adds) the embedding's and every layer's gradients into `gradients`. Truncated BPTT: the
  // final states get no gradient. `ready`, when given, hears of each layer's range of
  // `gradients` (top layer first), then the embedding's.
  void backward(const float* top_gradient, std::vector<float>& gradients, const GradientsReady& ready = {});

 private:
  struct LayerOffsets {
    std::size_t w_ih, w_hh, b_ih, b_hh;
  };
  // Index `layer` for the forward direction, layers + layer for the reverse one.
  LayerTensors layer_view(std::vector<float>& buffer, int index) const;
  // Copies rows (T*B, width) reversed within each text's length, zeros past it; its own inverse.
  void reverse_within_lengths(const float* src, float* dst, std::size_t width) const;
  void embed(const std::vector<float>& parameters, const std::uint32_t* inputs, std::size_t rows);
  // Whether dropout follows this layer's outputs (site layer + 1).
  bool dropped_out(int layer) const { return layer + 1 < config_.layers || top_dropout_; }
  // Draws site `site`'s mask and writes in * mask to out (which may be in).
  void apply_dropout(int site, std::size_t count, const float* in, float* out, std::uint64_t seed, std::uint64_t step);
  // Writes a gradient times site `site`'s mask of the last forward to out (which may be it).
  void undo_dropout(int site, std::size_t count, const float* gradient, float* out) const;

  ModelConfig config_;
  Precision precision_;
  std::size_t embedding_offset_ = 0;
  std::vector<LayerOffsets> layer_offsets_;  // forward layers, then reverse ones
  // Per layer, the contiguous range of the buffer its tensors (both directions) take.
  std::vector<std::pair<std::size_t, std::size_t>> layer_ranges_;
  int first_stream_ = 0, total_streams_ = 0;  // 0 total: the batch is all the streams
  bool top_dropout_ = false;
  std::vector<RecurrentLayer> layers_;  // the same order

  // Activations of the last forward, kept for backward; sized for the largest batch seen.
  const std::uint32_t* inputs_ = nullptr;
  const int* lengths_ = nullptr;
  int steps_ = 0, batch_ = 0;
  std::size_t rows_ = 0;
  std::vector<float> embedded_;                   // (T*B, E), dropout applied in place
  std::vector<std::vector<float>> outputs_;       // per layer (T*B, H), as the layer wrote them
  std::vector<std::vector<float>> dropped_;       // per layer: outputs_ after dropout (training)
  std::vector<std::vector<std::uint8_t>> masks_;  // per dropout site: 1 where an element is kept
  std::vector<std::vector<float>> next_h_, next_c_;
  // Bidirectional only: per layer, its input reversed, the reverse direction's output (in
  // reversed order) and the forward direction's output before they are put side by side.
  std::vector<std::vector<float>> reversed_in_, reversed_out_, forward_out_, reversed_final_;
  std::vector<float> grad_a_, grad_b_;  // (T*B, max(E, output width)) scratch for backward
  std::vector<float> grad_forward_, grad_reverse_, grad_reverse_src_;
};

// Grows a buffer to at least `count` floats; never shrinks, so steady state allocates nothing.
inline void ensure(std::vector<float>& buffer, std::size_t count) {
  if (buffer.size() < count) buffer.resize(count);
}

}  // namespace charloom::nn
