// An equal-weight mixture of language models: it predicts the mean of its members' probabilities.
#pragma once

#include <cstdint>
#include <vector>

#include "charloom/model_file.hpp"
#include "nn/network.hpp"
#include "nn/predictor.hpp"

namespace charloom::nn {

// One member passes straight through to its network. With more, the streams' state holds every
// member's layers in turn (members share the cell and hidden width), and the logits returned
// are the mixture's log-probabilities, which any softmax reads as the mixture's distribution.
class Mixture final : public Predictor {
 public:
  // The file's own model and each of its mixture members, in `precision`.
  Mixture(const ModelFile& file, Precision precision);

  const ModelConfig& config() const { return members_.front().config(); }  // the first member's

  const ModelConfig& state_config() const override { return state_config_; }
  const float* forward_logits(const std::uint32_t* inputs, int steps, int batch, StreamState& state) override;
  double score_batch(const std::uint32_t* inputs, const std::uint32_t* targets, int steps, int batch,
                     StreamState& state) override;
  const std::vector<double>& last_row_losses() const override;

 private:
  // Runs member `m` on its share of `state`'s layers.
  const float* member_logits(std::size_t m, const std::uint32_t* inputs, int steps, int batch, StreamState& state);

  std::vector<Network> members_;
  std::vector<int> first_layer_;  // each member's first layer in the mixture's state
  ModelConfig state_config_;
  StreamState member_state_;
  std::vector<const float*> member_logits_;  // each member's logits of the current call
  std::vector<double> log_mean_;             // (T*B, V): the mixture's log-probabilities, for the loss
  std::vector<float> logits_;                // (T*B, V): the same in float, for the caller
  std::vector<double> row_losses_;
};

}  // namespace charloom::nn
