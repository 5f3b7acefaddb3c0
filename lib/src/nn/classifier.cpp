// Pooling, the one-logit head and the logistic loss around the shared encoder.
// Shapes: B texts, T steps, H the output width (twice the hidden size when bidirectional);
// row t*B + b of the top outputs is text b at step t.
#include "nn/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include "charloom/errors.hpp"
#include "format/model_layout.hpp"

namespace charloom::nn {

Classifier::Classifier(const ModelConfig& config, Precision precision)
    : EncoderModel(config, precision, format::classifier_layout(config)) {
  weight_offset_ = layout_.find("classifier.weight").offset;
  bias_offset_ = layout_.find("classifier.bias").offset;
}

namespace {
// The poolings whose results make up the features, each one output width wide, in order.
// A view of constant arrays, so that no batch allocates for it.
std::span<const Pooling> parts_of(Pooling pool) {
  static constexpr Pooling concat[] = {Pooling::last, Pooling::max, Pooling::mean};
  static constexpr Pooling single[] = {Pooling::last, Pooling::mean, Pooling::max};  // the enum's order
  static_assert(static_cast<int>(Pooling::mean) == 1 && static_cast<int>(Pooling::max) == 2);
  if (pool == Pooling::concat) return concat;
  return {single + static_cast<int>(pool), 1};
}
}  // namespace

const float* Classifier::pool_and_score(const float* top, const TextBatch& texts) {
  const std::size_t batch = static_cast<std::size_t>(texts.batch),
                    hidden = static_cast<std::size_t>(config_.output_width()),
                    width = static_cast<std::size_t>(config_.pooled_width());
  pooled_.assign(batch * width, 0.0f);
  argmax_.assign(batch * hidden, 0);
  logits_.assign(batch, 0.0f);
  const float* w = parameters_.data() + weight_offset_;
  const float bias = parameters_[bias_offset_];
  const std::span<const Pooling> parts = parts_of(config_.pool);
  for (std::size_t b = 0; b < batch; ++b) {
    if (texts.lengths[b] < 1 || texts.lengths[b] > texts.steps)
      throw Error("a text length is outside 1.." + std::to_string(texts.steps));
  }
  // Texts pool apart, so the threads share them out; on one thread, with the other waiting,
  // this loop was 5% of scoring's time (perf, bench-sentiment).
#pragma omp parallel for schedule(static)
  for (std::size_t b = 0; b < batch; ++b) {
    const int length = texts.lengths[b];
    const auto row = [&](int t) { return top + (static_cast<std::size_t>(t) * batch + b) * hidden; };
    for (std::size_t part = 0; part < parts.size(); ++part) {
      float* pooled = pooled_.data() + b * width + part * hidden;
      switch (parts[part]) {
        case Pooling::last:
          // Each direction's final output: the forward one at the end, the reverse one at the start.
          std::copy_n(row(length - 1), hidden, pooled);
          if (config_.bidirectional) std::copy_n(row(0) + hidden / 2, hidden / 2, pooled + hidden / 2);
          break;
        case Pooling::mean:
          for (int t = 0; t < length; ++t)
            for (std::size_t j = 0; j < hidden; ++j) pooled[j] += row(t)[j];
          for (std::size_t j = 0; j < hidden; ++j) pooled[j] /= static_cast<float>(length);
          break;
        case Pooling::max: {
          int* from = argmax_.data() + b * hidden;
          std::copy_n(row(0), hidden, pooled);
          // Selects rather than branches, so the compiler can vectorize over j.
          for (int t = 1; t < length; ++t) {
            const float* values = row(t);
            for (std::size_t j = 0; j < hidden; ++j) {
              const bool greater = values[j] > pooled[j];
              pooled[j] = greater ? values[j] : pooled[j];
              from[j] = greater ? t : from[j];
            }
          }
          break;
        }
        case Pooling::concat:
          break;  // never a part
      }
    }
    const float* pooled = pooled_.data() + b * width;
    double logit = bias;
    for (std::size_t j = 0; j < width; ++j) logit += static_cast<double>(w[j]) * pooled[j];
    logits_[b] = static_cast<float>(logit);
  }
  return logits_.data();
}

const float* Classifier::forward(const TextBatch& texts) {
  zero_state_.reset(config_, texts.batch);
  return pool_and_score(
      encoder_.forward(parameters_, texts.inputs, texts.steps, texts.batch, zero_state_, false, 0, 0, texts.lengths),
      texts);
}

std::vector<float> Classifier::running_logits(const TextBatch& texts) {
  zero_state_.reset(config_, texts.batch);
  const float* top =
      encoder_.forward(parameters_, texts.inputs, texts.steps, texts.batch, zero_state_, false, 0, 0, texts.lengths);
  const std::size_t batch = static_cast<std::size_t>(texts.batch),
                    hidden = static_cast<std::size_t>(config_.output_width()),
                    width = static_cast<std::size_t>(config_.pooled_width());
  const float* w = parameters_.data() + weight_offset_;
  const std::span<const Pooling> parts = parts_of(config_.pool);
  std::vector<float> result(static_cast<std::size_t>(texts.steps) * batch, 0.0f);
  std::vector<float> running(width);
  for (std::size_t b = 0; b < batch; ++b) {
    for (int t = 0; t < texts.lengths[b]; ++t) {
      const float* row = top + (static_cast<std::size_t>(t) * batch + b) * hidden;
      for (std::size_t part = 0; part < parts.size(); ++part) {
        float* pooled = running.data() + part * hidden;
        for (std::size_t j = 0; j < hidden; ++j) {
          switch (parts[part]) {
            case Pooling::last:
              pooled[j] =
                  config_.bidirectional && j >= hidden / 2 ? top[b * hidden + j] : row[j];  // row 0's reverse half
              break;
            case Pooling::mean:
              pooled[j] += (row[j] - pooled[j]) / static_cast<float>(t + 1);
              break;
            case Pooling::max:
              pooled[j] = t == 0 ? row[j] : std::max(pooled[j], row[j]);
              break;
            case Pooling::concat:
              break;  // never a part
          }
        }
      }
      double logit = parameters_[bias_offset_];
      for (std::size_t j = 0; j < width; ++j) logit += static_cast<double>(w[j]) * running[j];
      result[static_cast<std::size_t>(t) * batch + b] = static_cast<float>(logit);
    }
    std::fill(running.begin(), running.end(), 0.0f);
  }
  return result;
}

double Classifier::train_batch(const TextBatch& texts, const float* targets, const float* weights,
                               std::uint64_t dropout_seed, std::uint64_t step, const TopGradientHook& also) {
  zero_state_.reset(config_, texts.batch);
  const float* top = encoder_.forward(parameters_, texts.inputs, texts.steps, texts.batch, zero_state_, true,
                                      dropout_seed, step, texts.lengths);
  pool_and_score(top, texts);
  const std::size_t batch = static_cast<std::size_t>(texts.batch),
                    hidden = static_cast<std::size_t>(config_.output_width()),
                    width = static_cast<std::size_t>(config_.pooled_width());
  const std::span<const Pooling> parts = parts_of(config_.pool);
  double total_weight = 0.0, loss = 0.0;
  for (std::size_t b = 0; b < batch; ++b) total_weight += weights[b];
  if (total_weight <= 0.0) throw Error("a training batch has no weight");

  // Logistic loss, stable for any logit: softplus(z) - y z = max(z, 0) - y z + log(1 + e^-|z|).
  std::fill(gradients_.begin(), gradients_.end(), 0.0f);
  float* w_gradient = gradients_.data() + weight_offset_;
  const float* w = parameters_.data() + weight_offset_;
  ensure(top_gradient_, static_cast<std::size_t>(texts.steps) * batch * hidden);
  std::fill_n(top_gradient_.begin(), static_cast<std::size_t>(texts.steps) * batch * hidden, 0.0f);
  for (std::size_t b = 0; b < batch; ++b) {
    if (weights[b] == 0.0f) continue;
    const double z = logits_[b], y = targets[b];
    loss += weights[b] * (std::max(z, 0.0) - y * z + std::log1p(std::exp(-std::abs(z))));
    const double probability = 1.0 / (1.0 + std::exp(-z));
    const float dz = static_cast<float>(weights[b] * (probability - y) / total_weight);
    gradients_[bias_offset_] += dz;
    const float* pooled = pooled_.data() + b * width;
    for (std::size_t j = 0; j < width; ++j) w_gradient[j] += dz * pooled[j];
    // d(pooled) = dz * w, sent back to the positions each part's pool read.
    const int length = texts.lengths[b];
    const auto row = [&](int t) { return top_gradient_.data() + (static_cast<std::size_t>(t) * batch + b) * hidden; };
    for (std::size_t part = 0; part < parts.size(); ++part)
      for (std::size_t j = 0; j < hidden; ++j) {
        const float d = dz * w[part * hidden + j];
        switch (parts[part]) {
          case Pooling::last:
            row(config_.bidirectional && j >= hidden / 2 ? 0 : length - 1)[j] += d;
            break;
          case Pooling::mean:
            for (int t = 0; t < length; ++t) row(t)[j] += d / static_cast<float>(length);
            break;
          case Pooling::max:
            row(argmax_[b * hidden + j])[j] += d;
            break;
          case Pooling::concat:
            break;  // never a part
        }
      }
  }
  if (also) also(top, top_gradient_.data());
  encoder_.backward(top_gradient_.data(), gradients_);
  return loss;
}

}  // namespace charloom::nn
