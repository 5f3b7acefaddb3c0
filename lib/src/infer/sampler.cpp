// Temperature, top-k and top-p over one row of logits; probabilities in double so that
// renormalizing a long tail loses nothing measurable.
#include "infer/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace charloom::infer {

Sampler::Sampler(const SamplingOptions& options, std::size_t vocabulary_size)
    : options_(options), probabilities_(vocabulary_size), order_(vocabulary_size) {}

void Sampler::keep_top(std::size_t count) {
  const std::size_t size = probabilities_.size();
  std::iota(order_.begin(), order_.end(), 0u);
  // Most likely first; the lower id wins a tie, so the cut never depends on the sort.
  const auto more_likely = [&](std::uint32_t a, std::uint32_t b) {
    return probabilities_[a] > probabilities_[b] || (probabilities_[a] == probabilities_[b] && a < b);
  };
  std::nth_element(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(count - 1), order_.end(), more_likely);
  for (std::size_t i = count; i < size; ++i) probabilities_[order_[i]] = 0.0;
}

const std::vector<double>& Sampler::distribution(const float* logits, const std::uint8_t* allowed) {
  const std::size_t size = probabilities_.size();
  const auto is_allowed = [&](std::size_t id) { return allowed == nullptr || allowed[id] != 0; };
  float peak = -std::numeric_limits<float>::infinity();
  std::size_t best = size, candidates = 0;
  for (std::size_t id = 0; id < size; ++id) {
    if (!is_allowed(id)) continue;
    ++candidates;
    if (best == size || logits[id] > peak) {
      peak = logits[id];
      best = id;
    }
  }
  std::fill(probabilities_.begin(), probabilities_.end(), 0.0);
  if (best == size) return probabilities_;  // nothing allowed: all zeros, pick() refuses
  if (options_.temperature == 0.0 || !std::isfinite(peak)) {
    probabilities_[best] = 1.0;
    return probabilities_;
  }
  const double inverse_temperature = 1.0 / options_.temperature;
  double total = 0.0;
  for (std::size_t id = 0; id < size; ++id) {
    if (!is_allowed(id)) continue;
    probabilities_[id] = std::exp((static_cast<double>(logits[id]) - peak) * inverse_temperature);
    total += probabilities_[id];
  }
  for (double& p : probabilities_) p /= total;
  if (options_.top_k > 0 && static_cast<std::size_t>(options_.top_k) < candidates) {
    keep_top(static_cast<std::size_t>(options_.top_k));
    candidates = static_cast<std::size_t>(options_.top_k);
  }
  if (options_.top_p < 1.0) {
    // The smallest set whose mass reaches p: walk the ids from the most likely down.
    std::iota(order_.begin(), order_.end(), 0u);
    std::sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) {
      return probabilities_[a] > probabilities_[b] || (probabilities_[a] == probabilities_[b] && a < b);
    });
    const double mass = std::accumulate(probabilities_.begin(), probabilities_.end(), 0.0);
    double kept = 0.0;
    std::size_t count = 0;
    while (count < candidates && kept < options_.top_p * mass) kept += probabilities_[order_[count++]];
    for (std::size_t i = count; i < size; ++i) probabilities_[order_[i]] = 0.0;
  }
  const double mass = std::accumulate(probabilities_.begin(), probabilities_.end(), 0.0);
  for (double& p : probabilities_) p /= mass;
  return probabilities_;
}

std::uint32_t Sampler::pick(const float* logits, const std::uint8_t* allowed, float u) {
  const std::vector<double>& p = distribution(logits, allowed);
  double remaining = static_cast<double>(u);
  std::uint32_t last = 0;
  bool any = false;
  for (std::size_t id = 0; id < p.size(); ++id) {
    if (p[id] <= 0.0) continue;
    last = static_cast<std::uint32_t>(id);
    any = true;
    remaining -= p[id];
    if (remaining < 0.0) return last;
  }
  // Rounding can leave u just above the summed mass: the last id with mass takes it.
  return any ? last : 0;
}

}  // namespace charloom::infer
