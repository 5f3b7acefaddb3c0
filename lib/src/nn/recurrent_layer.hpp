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
// each primitive's format once after every update, not on every call.
class RecurrentLayer {
 public:
  RecurrentLayer(CellKind cell, int inputs, int hidden, Precision precision = Precision::f32);
  ~RecurrentLayer();
  RecurrentLayer(RecurrentLayer&&) noexcept;
  RecurrentLayer& operator=(RecurrentLayer&&) noexcept;

  // Takes the master weights; call again after each optimizer step.
  void set_weights(const LayerTensors& master);

  // T = steps, N = batch. src (T, N, I) and dst (T, N, H) row-major; states (N, H), where a
  // null h0 or c0 means zeros and c pointers are unused without a cell state.
  void forward_training(int steps, int batch, const float* src, float* dst, const float* h0,
                        const float* c0, float* h_out, float* c_out);
  // Gradients of the last forward_training for diff_dst (T, N, H): diff_src (T, N, I) and the
  // parameter gradients (overwritten). The final states get no gradient (truncated BPTT).
  void backward(const float* diff_dst, float* diff_src, const LayerTensors& gradients);
  void forward_inference(int steps, int batch, const float* src, float* dst, const float* h0,
                         const float* c0, float* h_out, float* c_out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace charloom::nn
