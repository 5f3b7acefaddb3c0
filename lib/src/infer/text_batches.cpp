// Bucketing texts by length into padded batches, and batched classification.
#include "infer/text_batches.hpp"

#include <algorithm>
#include <numeric>

namespace charloom::infer {

int padded_steps(std::size_t longest) { return static_cast<int>((std::max<std::size_t>(longest, 1) + 15) / 16 * 16); }

void fill_batch(const Texts& texts, std::span<const std::size_t> members, int batch, PaddedBatch& out) {
  std::size_t longest = 0;
  for (std::size_t member : members) longest = std::max(longest, texts[member].size());
  out.steps = padded_steps(longest);
  out.batch = batch;
  out.inputs.assign(static_cast<std::size_t>(out.steps) * batch, 0u);
  out.lengths.assign(static_cast<std::size_t>(batch), 1);
  for (std::size_t column = 0; column < members.size(); ++column) {
    const std::vector<std::uint32_t>& text = texts[members[column]];
    out.lengths[column] = static_cast<int>(text.size());
    for (std::size_t t = 0; t < text.size(); ++t) out.inputs[t * batch + column] = text[t];
  }
}

std::vector<std::size_t> longest_first(const Texts& texts) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < texts.size(); ++i)
    if (!texts[i].empty()) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return texts[a].size() > texts[b].size(); });
  return order;
}

void classify_batches(nn::Classifier& classifier, const Texts& texts, int batch, const BatchResult& each) {
  const std::vector<std::size_t> order = longest_first(texts);
  PaddedBatch padded;
  for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(batch)) {
    const std::span<const std::size_t> members(order.data() + start,
                                               std::min<std::size_t>(batch, order.size() - start));
    // The last, partial batch runs at its own size rather than padded with empty texts.
    fill_batch(texts, members, static_cast<int>(members.size()), padded);
    const float* logits = classifier.forward(padded.view());
    each(members, logits, classifier.features().data());
  }
}

std::vector<float> classify(nn::Classifier& classifier, const Texts& texts, int batch) {
  std::vector<float> logits(texts.size(), 0.0f);
  classify_batches(classifier, texts, batch, [&](std::span<const std::size_t> members, const float* out, const float*) {
    for (std::size_t column = 0; column < members.size(); ++column) logits[members[column]] = out[column];
  });
  return logits;
}

}  // namespace charloom::infer
