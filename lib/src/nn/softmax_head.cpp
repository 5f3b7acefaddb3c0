// The softmax head's products through sgemm and its fused cross-entropy.
// Shapes: M rows, H hidden, V vocabulary.
#include "nn/softmax_head.hpp"

#include <algorithm>
#include <cmath>

#include "nn/encoder.hpp"
#include "nn/gemm.hpp"

namespace charloom::nn {

void SoftmaxHead::forward(const float* x, std::size_t rows, std::vector<float>& logits) const {
  ensure(logits, rows * static_cast<std::size_t>(vocabulary));
  for (std::size_t row = 0; row < rows; ++row) std::copy_n(bias, vocabulary, logits.data() + row * vocabulary);
  // logits (M, V) = x (M, H) * W^T (H, V) + bias
  gemm('N', 'T', static_cast<std::int64_t>(rows), vocabulary, hidden, x, hidden, weight, hidden, 1.0f, logits.data(),
       vocabulary);
}

void SoftmaxHead::backward(const float* x, std::size_t rows, const float* dlogits, float* x_gradient,
                           float* weight_gradient, float* bias_gradient) const {
  const auto m = static_cast<std::int64_t>(rows);
  // dx = dlogits (M, V) * W (V, H); dW = dlogits^T (V, M) * x (M, H); db = column sums.
  gemm('N', 'N', m, hidden, vocabulary, dlogits, vocabulary, weight, hidden, 0.0f, x_gradient, hidden);
  gemm('T', 'N', vocabulary, hidden, m, dlogits, vocabulary, x, hidden, 0.0f, weight_gradient, hidden);
  std::fill_n(bias_gradient, vocabulary, 0.0f);
  for (std::size_t row = 0; row < rows; ++row)
    for (std::int64_t j = 0; j < vocabulary; ++j) bias_gradient[j] += dlogits[row * vocabulary + j];
}

double softmax_cross_entropy(float* logits, const std::uint32_t* targets, std::size_t rows, std::size_t width,
                             float gradient_scale, std::vector<double>& row_losses) {
  if (row_losses.size() < rows) row_losses.resize(rows);
#pragma omp parallel for schedule(static)
  for (std::size_t row = 0; row < rows; ++row) {
    float* z = logits + row * width;
    const float peak = *std::max_element(z, z + width);
    double total = 0.0;
    for (std::size_t j = 0; j < width; ++j) total += std::exp(static_cast<double>(z[j] - peak));
    row_losses[row] = std::log(total) + peak - z[targets[row]];
    if (gradient_scale != 0.0f) {
      const double inverse = 1.0 / total;
      for (std::size_t j = 0; j < width; ++j)
        z[j] = gradient_scale * static_cast<float>(std::exp(static_cast<double>(z[j] - peak)) * inverse);
      z[targets[row]] -= gradient_scale;
    }
  }
  // A serial sum keeps the result independent of the thread count.
  double loss = 0.0;
  for (std::size_t row = 0; row < rows; ++row) loss += row_losses[row];
  return loss;
}

}  // namespace charloom::nn
