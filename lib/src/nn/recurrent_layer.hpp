// One recurrent layer (LSTM, GRU or vanilla RNN) on oneDNN's RNN primitives.
#pragma once

#include <memory>

#include "charloom/model_config.hpp"

namespace charloom::nn {

// Views of one layer's parameters (or their gradients) in PyTorch's layout.
struct LayerTensors {
  float* w_ih = nullptr;  // (G*H, I)
  float* w_hh = nullptr;  // (G*H, H)
  float* b_ih = nullptr;  // (G*H)
  float* b_hh = nullptr;  // (G*H)
};

// Primitives are built once per (steps, batch) shape and kept; weights are reordered into
// each primitive's format once after every update, not on every call. Precision::int8 is
// inference-only and LSTM-only (what oneDNN 2.6 quantizes); the constructor refuses the rest.
class RecurrentLayer {
 public:
  RecurrentLayer(CellKind cell, int inputs, int hidden, Precision precision = Precision::f32);
  ~RecurrentLayer();
  RecurrentLayer(RecurrentLayer&&) noexcept;
  RecurrentLayer& operator=(RecurrentLayer&&) noexcept;

  // Takes the master weights; call again after each optimizer step. Where the gate order is
  // PyTorch's (all but the GRU) the layer reads `master` in place until the next call, so its
  // buffers must stay where they are until then. In int8 the inputs are taken to lie within
  // [-input_bound, input_bound] (1 for hidden states, which LSTM keeps in (-1, 1)); the layer
  // folds the bound into its input weights, so no accuracy is lost.
  void set_weights(const LayerTensors& master, float input_bound = 1.0f);

  // T = steps, N = batch. src (T, N, I) and dst (T, N, H) row-major; states (N, H), where a
  // null h0 or c0 means zeros and c pointers are unused without a cell state.
  void forward_training(int steps, int batch, const float* src, float* dst, const float* h0, const float* c0,
                        float* h_out, float* c_out);
  // Gradients of the last forward_training for diff_dst (T, N, H): diff_src (T, N, I) and the
  // parameter gradients (overwritten). The final states get no gradient (truncated BPTT).
  void backward(const float* diff_dst, float* diff_src, const LayerTensors& gradients);
  void forward_inference(int steps, int batch, const float* src, float* dst, const float* h0, const float* c0,
                         float* h_out, float* c_out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace charloom::nn
