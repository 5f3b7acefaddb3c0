// What inference asks of a language model's computation, whether one network or a mixture.
#pragma once

#include <cstdint>
#include <vector>

#include "charloom/model_config.hpp"
#include "nn/encoder.hpp"

namespace charloom::nn {

class Predictor {
 public:
  // The shape of the streams' state: StreamState::reset(state_config(), batch) makes one.
  virtual const ModelConfig& state_config() const = 0;
  // Inference forward: the next unit's logits (T*B, V), valid until the next call; carries `state`.
  virtual const float* forward_logits(const std::uint32_t* inputs, int steps, int batch, StreamState& state) = 0;
  // Inference forward: the summed loss in nats over the T*B targets; carries `state`.
  virtual double score_batch(const std::uint32_t* inputs, const std::uint32_t* targets, int steps, int batch,
                             StreamState& state) = 0;
  // -log p of each target of the last score_batch, row t*B + b; the rest of the vector is stale.
  virtual const std::vector<double>& last_row_losses() const = 0;

 protected:
  ~Predictor() = default;
};

}  // namespace charloom::nn
