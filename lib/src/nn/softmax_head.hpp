// A linear layer from hidden rows to a vocabulary's logits, with a fused softmax
// cross-entropy, forward and backward: the language model's head, which the classifier's
// auxiliary language-model loss also uses.
#pragma once

#include <cstdint>
#include <vector>

namespace charloom::nn {

// Views of a head's tensors: weight (V, H) and bias (V), as PyTorch's nn.Linear holds them.
struct SoftmaxHead {
  const float* weight = nullptr;
  const float* bias = nullptr;
  std::int64_t vocabulary = 0, hidden = 0;

  // logits (rows, V) = x (rows, H) * W^T + b; grows `logits`, never shrinks it.
  void forward(const float* x, std::size_t rows, std::vector<float>& logits) const;
  // From d(loss)/d(logits) (rows, V): writes x_gradient (rows, H) = dlogits * W, and the
  // weight's (V, H) and the bias's (V) gradients.
  void backward(const float* x, std::size_t rows, const float* dlogits, float* x_gradient, float* weight_gradient,
                float* bias_gradient) const;
};

// Fused, numerically stable softmax cross-entropy over rows of logits (rows, width). Returns
// the summed loss in nats and keeps each row's in `row_losses`; when `gradient_scale` is
// nonzero, overwrites the logits with scale * (softmax - onehot), the loss's gradient.
double softmax_cross_entropy(float* logits, const std::uint32_t* targets, std::size_t rows, std::size_t width,
                             float gradient_scale, std::vector<double>& row_losses);

}  // namespace charloom::nn
