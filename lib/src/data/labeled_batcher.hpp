// The batches of one epoch of labeled texts: shuffled, with texts of similar length together
// so that a batch pads little.
#pragma once

#include <cstdint>
#include <vector>

namespace charloom::data {

// Indices into `lengths` (one per text), a batch of at most `batch` at a time. The texts are
// shuffled, sorted longest first within windows of 50 batches, cut into batches, and the
// batches shuffled. The order depends only on the lengths, seed and epoch, so a resumed run
// takes the same batches.
std::vector<std::vector<std::size_t>> epoch_batches(const std::vector<std::size_t>& lengths, int batch,
                                                    std::uint64_t seed, std::uint64_t epoch);

}  // namespace charloom::data
