// The language model's computation: the encoder, a linear head over every position and a
// fused softmax cross-entropy, forward and backward, over one flat parameter buffer.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/encoder_model.hpp"
#include "nn/predictor.hpp"
#include "nn/softmax_head.hpp"

namespace charloom::nn {

class Network final : public EncoderModel, public Predictor {
 public:
  explicit Network(const ModelConfig& config, Precision precision = Precision::f32);

  // B = batch streams, T = steps; inputs and targets time-major (T, B).
  // Forward with dropout, loss, backward: writes gradients() and returns the mean loss in nats.
  // `state` holds the states before the batch and, on return, after it (carried).
  // `ready`, when given, hears of each range of gradients() as it becomes final: the head's,
  // then each layer's from the top, then the embedding's.
  double train_batch(const std::uint32_t* inputs, const std::uint32_t* targets, int steps, int batch,
                     StreamState& state, std::uint64_t dropout_seed, std::uint64_t step,
                     const GradientsReady& ready = {});
  // Inference forward without dropout: returns the summed loss in nats over the T*B targets
  // and carries `state`.
  double score_batch(const std::uint32_t* inputs, const std::uint32_t* targets, int steps, int batch,
                     StreamState& state) override;
  // Inference forward without a loss: returns the logits (T*B, V), valid until the next call,
  // and carries `state`. Once buffers have grown to the shape, it allocates nothing.
  const float* forward_logits(const std::uint32_t* inputs, int steps, int batch, StreamState& state) override;
  // Logits (T*B, V) of the last score_batch or train_batch forward, before the loss.
  const std::vector<float>& last_logits() const { return logits_; }
  // -log p of each target of the last score_batch, row t*B + b; the rest of the vector is stale.
  const std::vector<double>& last_row_losses() const override { return row_losses_; }
  const ModelConfig& state_config() const override { return config_; }

 private:
  SoftmaxHead head() const;  // views of head.weight and head.bias

  std::size_t head_weight_offset_ = 0, head_bias_offset_ = 0;
  std::vector<float> logits_;        // (T*B, V); holds d(loss)/d(logits) after backward
  std::vector<float> top_gradient_;  // (T*B, H)
  std::vector<double> row_losses_;
};

}  // namespace charloom::nn
