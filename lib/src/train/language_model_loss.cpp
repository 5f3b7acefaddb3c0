// The next-unit loss over a batch of padded texts: gather the positions that have a next
// unit, run the language model's head over them, and scatter the gradients back.
#include "train/language_model_loss.hpp"

#include <algorithm>

#include "charloom/errors.hpp"
#include "nn/softmax_head.hpp"

namespace charloom::train {

LanguageModelLoss::LanguageModelLoss(std::int64_t vocabulary, std::int64_t hidden, std::vector<float> parameters)
    : vocabulary_(vocabulary), hidden_(hidden), parameters_(std::move(parameters)) {
  if (parameters_.size() != static_cast<std::size_t>(vocabulary * (hidden + 1)))
    throw Error("a language-model head of " + std::to_string(vocabulary) + " units and width " +
                std::to_string(hidden) + " needs " + std::to_string(vocabulary * (hidden + 1)) + " values");
  gradients_.assign(parameters_.size(), 0.0f);
}

double LanguageModelLoss::add_gradient(const nn::TextBatch& texts, const float* top, float weight,
                                       float* top_gradient) {
  const auto batch = static_cast<std::size_t>(texts.batch), hidden = static_cast<std::size_t>(hidden_);
  rows_.clear();
  targets_.clear();
  for (std::size_t b = 0; b < batch; ++b)
    for (int t = 0; t + 1 < texts.lengths[b]; ++t) {
      rows_.push_back(static_cast<std::size_t>(t) * batch + b);
      targets_.push_back(texts.inputs[static_cast<std::size_t>(t + 1) * batch + b]);
    }
  std::fill(gradients_.begin(), gradients_.end(), 0.0f);
  const std::size_t count = rows_.size();
  if (count == 0) return 0.0;
  nn::ensure(inputs_, count * hidden);
  for (std::size_t n = 0; n < count; ++n) std::copy_n(top + rows_[n] * hidden, hidden, inputs_.data() + n * hidden);

  const nn::SoftmaxHead head{parameters_.data(), parameters_.data() + vocabulary_ * hidden_, vocabulary_, hidden_};
  head.forward(inputs_.data(), count, logits_);
  const double loss =
      nn::softmax_cross_entropy(logits_.data(), targets_.data(), count, static_cast<std::size_t>(vocabulary_),
                                weight / static_cast<float>(count), row_losses_);
  if (weight == 0.0f) return loss / static_cast<double>(count);  // the logits hold no gradient
  nn::ensure(input_gradients_, count * hidden);
  head.backward(inputs_.data(), count, logits_.data(), input_gradients_.data(), gradients_.data(),
                gradients_.data() + vocabulary_ * hidden_);
  for (std::size_t n = 0; n < count; ++n) {
    float* to = top_gradient + rows_[n] * hidden;
    const float* from = input_gradients_.data() + n * hidden;
    for (std::size_t j = 0; j < hidden; ++j) to[j] += from[j];
  }
  return loss / static_cast<double>(count);
}

}  // namespace charloom::train
