// Padded batches of whole texts for the classifier, in a few fixed shapes so that primitives
// are built once per shape: B texts per batch (short batches padded), steps a multiple of 16.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "nn/classifier.hpp"

namespace charloom::infer {

using Texts = std::vector<std::vector<std::uint32_t>>;

struct PaddedBatch {
  std::vector<std::uint32_t> inputs;  // (steps, batch), id 0 after each text's end
  std::vector<int> lengths;           // padding rows have length 1
  int steps = 0, batch = 0;
  nn::TextBatch view() const { return {inputs.data(), lengths.data(), steps, batch}; }
};

// Steps for a batch whose longest text has `longest` units: rounded up to a multiple of 16.
int padded_steps(std::size_t longest);

// Lays out texts[members[i]] as column i of a batch of `batch` columns; members are non-empty.
void fill_batch(const Texts& texts, std::span<const std::size_t> members, int batch, PaddedBatch& out);

// Indices of the non-empty texts, longest first, so that a batch's texts pad little.
std::vector<std::size_t> longest_first(const Texts& texts);

// Runs the classifier over the non-empty texts, `batch` at a time, longest first; calls
// `each` with a batch's members (indices into texts), their logits and their pooled features
// (members.size() rows of H).
using BatchResult =
    std::function<void(std::span<const std::size_t> members, const float* logits, const float* features)>;
void classify_batches(nn::Classifier& classifier, const Texts& texts, int batch, const BatchResult& each);

// The logits of every text (0 for empty ones), in input order.
std::vector<float> classify(nn::Classifier& classifier, const Texts& texts, int batch);

}  // namespace charloom::infer
