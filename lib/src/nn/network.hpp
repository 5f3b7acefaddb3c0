// The language model's computation: embedding, recurrent stack, linear head and a fused
// softmax cross-entropy, forward and backward, over one flat parameter buffer.
#pragma once

#include <cstdint>
#include <vector>

#include "charloom/model_config.hpp"
#include "charloom/model_file.hpp"
#include "nn/parameters.hpp"
#include "nn/recurrent_layer.hpp"

namespace charloom::nn {

// Hidden (and LSTM cell) state of every layer for `batch` streams, each (batch, hidden).
struct StreamState {
  int batch = 0;
  std::vector<std::vector<float>> h, c;
  void reset(const ModelConfig& config, int batch_size);  // zeros
};

class Network {
 public:
  explicit Network(const ModelConfig& config, Precision precision = Precision::f32);

  const ModelConfig& config() const { return config_; }
  const ParameterLayout& layout() const { return layout_; }
  std::vector<float>& parameters() { return parameters_; }
  const std::vector<float>& parameters() const { return parameters_; }
  std::vector<float>& gradients() { return gradients_; }

  // PyTorch's default initialization, drawn from a counter-based generator.
  void initialize(std::uint64_t seed);
  // Pushes the master weights into the layers; call after every change to parameters().
  void parameters_changed();
  // Takes the parameters from named tensors (as a checked model file holds them).
  void load_tensors(const std::vector<NamedTensor>& tensors);

  // B = batch streams, T = steps; inputs and targets time-major (T, B).
  // Forward with dropout, loss, backward: writes gradients() and returns the mean loss in nats.
  // `state` holds the states before the batch and, on return, after it (carried).
  double train_batch(const std::uint32_t* inputs, const std::uint32_t* targets, int steps, int batch,
                     StreamState& state, std::uint64_t dropout_seed, std::uint64_t step);
  // Inference forward without dropout: returns the summed loss in nats over the T*B targets
  // and carries `state`.
  double score_batch(const std::uint32_t* inputs, const std::uint32_t* targets, int steps, int batch,
                     StreamState& state);
  // Inference forward without a loss: returns the logits (T*B, V), valid until the next call,
  // and carries `state`. Once buffers have grown to the shape, it allocates nothing.
  const float* forward_logits(const std::uint32_t* inputs, int steps, int batch, StreamState& state);
  // Logits (T*B, V) of the last score_batch or train_batch forward, before the loss.
  const std::vector<float>& last_logits() const { return logits_; }
  // -log p of each target of the last score_batch, row t*B + b; the rest of the vector is stale.
  const std::vector<double>& last_row_losses() const { return row_losses_; }

 private:
  struct LayerOffsets {
    std::size_t w_ih, w_hh, b_ih, b_hh;
  };
  LayerTensors layer_view(std::vector<float>& buffer, int layer);
  void embed(const std::uint32_t* inputs, std::size_t rows);
  void apply_dropout(int site, std::size_t count, float* values, std::uint64_t seed, std::uint64_t step);
  const float* run_layers(int steps, int batch, StreamState& state, bool training, std::uint64_t seed,
                          std::uint64_t step);
  void head_forward(const float* top, std::size_t rows);

  ModelConfig config_;
  ParameterLayout layout_;
  std::size_t embedding_offset_ = 0, head_weight_offset_ = 0, head_bias_offset_ = 0;
  std::vector<LayerOffsets> layer_offsets_;
  std::vector<RecurrentLayer> layers_;
  std::vector<float> parameters_, gradients_;

  // Activations of the last forward, kept for backward; sized for the largest batch seen.
  std::vector<float> embedded_;                   // (T*B, E), dropout applied in place
  std::vector<std::vector<float>> outputs_;       // per layer (T*B, H), as the layer wrote them
  std::vector<std::vector<float>> dropped_;       // per layer: outputs_ after dropout (training)
  std::vector<std::vector<float>> masks_;         // per dropout site: 0 or 1/(1-p)
  std::vector<std::vector<float>> next_h_, next_c_;
  std::vector<float> logits_;                     // (T*B, V); holds d(loss)/d(logits) after backward
  std::vector<float> grad_a_, grad_b_;            // (T*B, max(E, H)) scratch for backward
  std::vector<double> row_losses_;
};

}  // namespace charloom::nn
