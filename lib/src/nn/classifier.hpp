// The sentiment classifier's computation: the encoder over a batch of padded texts, pooling
// over each text's own positions, a linear layer to one logit, and a weighted logistic loss.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "nn/encoder_model.hpp"

namespace charloom::nn {

// B texts, time-major (T, B) and padded after each text's end; every length is 1 to T.
struct TextBatch {
  const std::uint32_t* inputs = nullptr;
  const int* lengths = nullptr;
  int steps = 0, batch = 0;
};

// Told the top outputs (T*B, H) of a training forward and the classifier's gradient of them,
// which it may add to before the encoder's backward: a second loss on the same outputs.
using TopGradientHook = std::function<void(const float* top, float* top_gradient)>;

class Classifier : public EncoderModel {
 public:
  explicit Classifier(const ModelConfig& config, Precision precision = Precision::f32);

  // Inference: the B logits (log-odds of positive), valid until the next call.
  const float* forward(const TextBatch& texts);
  // The pooled features (B, pooled width) of the last forward, before the linear layer.
  const std::vector<float>& features() const { return pooled_; }
  // Max pooling (or concat's max part): the step each max feature of the last forward came
  // from (B, output width).
  const std::vector<int>& max_steps() const { return argmax_; }
  // The logit after every position (T*B, row t*B + b): the linear layer applied to the
  // running pool of the top outputs up to t. For traces; costs one extra pass over them.
  // (A bidirectional model's reverse outputs at t have read the text from t to its end.)
  std::vector<float> running_logits(const TextBatch& texts);

  // Forward with dropout and backward for targets P(positive) in [0, 1] (hard labels or soft) and per-text weights (0
  // leaves a padding row out): returns the summed weighted loss and writes the gradients of the weighted mean (the sum
  // divided by the summed weights), plus whatever `also` adds.
  double train_batch(const TextBatch& texts, const float* targets, const float* weights, std::uint64_t dropout_seed,
                     std::uint64_t step, const TopGradientHook& also = {});

 private:
  const float* pool_and_score(const float* top, const TextBatch& texts);

  std::size_t weight_offset_ = 0, bias_offset_ = 0;
  StreamState zero_state_;
  std::vector<float> pooled_, logits_, top_gradient_;
  std::vector<int> argmax_;  // max pooling: the row each feature came from
};

}  // namespace charloom::nn
