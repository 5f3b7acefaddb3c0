// Timing helpers shared by the benchmark tools: medians, the machine's sgemm rate measured
// in the same run, and the arithmetic of a model's forward step.
#pragma once

#include <dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

#include "charloom/model_config.hpp"

namespace charloom::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Runs `body` once to warm up (primitives are built on first use), then `runs` times; the median seconds.
template <typename Body>
double median_seconds(int runs, Body body) {
  body();
  std::vector<double> times;
  for (int run = 0; run < runs; ++run) {
    const auto start = Clock::now();
    body();
    times.push_back(seconds_since(start));
  }
  return median(times);
}

// oneDNN's sgemm on 2048 x 2048 matrices: this machine's f32 arithmetic rate in GFLOP/s.
inline double sgemm_rate(int runs) {
  const int n = 2048;
  std::vector<float> a(static_cast<std::size_t>(n) * n, 0.5f), b(a), c(a);
  return 2.0 * n * n * static_cast<double>(n) / 1e9 / median_seconds(runs, [&] {
           dnnl_sgemm('N', 'N', n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
         });
}

// Multiply-adds x 2 of the recurrent layers' forward step per unit.
inline double encoder_flops_per_unit(const ModelConfig& c) {
  double flops = 0.0;
  for (int layer = 0; layer < c.layers; ++layer)
    flops += 2.0 * (c.layer_input(layer) + c.hidden) * gate_count(c.cell) * c.hidden;
  return flops;
}

// The same plus the language model's head.
inline double forward_flops_per_unit(const ModelConfig& c) {
  return encoder_flops_per_unit(c) + 2.0 * c.hidden * c.vocabulary_size;
}

}  // namespace charloom::bench
