// Length-bucketed, seeded epochs of labeled texts.
#include "data/labeled_batcher.hpp"

#include <algorithm>
#include <numeric>

#include "nn/random.hpp"

namespace charloom::data {
namespace {

// 0..n-1 ordered by a seeded random key per index, ties by index.
std::vector<std::size_t> shuffled(std::size_t n, std::uint64_t seed, std::uint64_t stream) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<float> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = nn::uniform01(seed, stream, i);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return keys[a] < keys[b] || (keys[a] == keys[b] && a < b); });
  return order;
}

}  // namespace

std::vector<std::vector<std::size_t>> epoch_batches(const std::vector<std::size_t>& lengths, int batch,
                                                    std::uint64_t seed, std::uint64_t epoch) {
  std::vector<std::size_t> order = shuffled(lengths.size(), seed, 1000 + 2 * epoch);
  const std::size_t size = static_cast<std::size_t>(batch);
  const std::size_t window = size * 50;
  for (std::size_t start = 0; start < order.size(); start += window) {
    const auto end = order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + window));
    std::stable_sort(order.begin() + static_cast<std::ptrdiff_t>(start), end,
                     [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
  }
  std::vector<std::vector<std::size_t>> batches;
  for (std::size_t start = 0; start < order.size(); start += size)
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(start),
                         order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + size)));
  std::vector<std::vector<std::size_t>> result;
  for (std::size_t i : shuffled(batches.size(), seed, 1001 + 2 * epoch)) result.push_back(std::move(batches[i]));
  return result;
}

}  // namespace charloom::data
