// Counter-based random numbers: the value at (seed, stream, index) never depends on thread
// count or call order, so dropout masks and initialization are reproducible and resumable.
#pragma once

#include <cstdint>

namespace charloom::nn {

// SplitMix64's finalizer (Steele, Lea and Flood, 2014): a fast, well-mixed 64-bit hash.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A uniform float in [0, 1) for element `index` of random stream `stream` under `seed`.
inline float uniform01(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  const std::uint64_t bits = mix64(mix64(seed ^ mix64(stream)) + index);
  return static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);  // 24 random bits
}

}  // namespace charloom::nn
