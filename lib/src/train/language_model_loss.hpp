// The auxiliary language-model loss of fine-tuning a classifier (Chronopoulou et al. 2019):
// the language model's own head goes on predicting each text's next unit from the encoder's
// outputs, so that fine-tuning on a small labeled set keeps the encoder a language model.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/classifier.hpp"

namespace charloom::train {

class LanguageModelLoss {
 public:
  // `parameters` holds a language model's head.weight (V, H) and then its head.bias (V).
  LanguageModelLoss(std::int64_t vocabulary, std::int64_t hidden, std::vector<float> parameters);

  // Over every unit of the batch's texts that has a next one within its text, the mean loss
  // of predicting that next unit from the top outputs (T*B, H), in nats. Adds `weight` times
  // its gradient into top_gradient (T*B, H), and writes `weight` times the head's into
  // gradients(). A batch of one-unit texts has nothing to predict: 0, and no gradient.
  double add_gradient(const nn::TextBatch& texts, const float* top, float weight, float* top_gradient);

  std::vector<float>& parameters() { return parameters_; }
  std::vector<float>& gradients() { return gradients_; }

 private:
  std::int64_t vocabulary_, hidden_;
  std::vector<float> parameters_, gradients_;
  // Scratch, grown to the largest batch: the rows that have a next unit, their targets, the
  // logits (then their gradients) and the rows' gradients.
  std::vector<std::size_t> rows_;
  std::vector<std::uint32_t> targets_;
  std::vector<float> inputs_, logits_, input_gradients_;
  std::vector<double> row_losses_;
};

}  // namespace charloom::train
