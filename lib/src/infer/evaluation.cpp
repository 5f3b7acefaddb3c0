// Batched scoring of a span: the same streams layout as training, in inference mode.
#include "infer/evaluation.hpp"

#include <algorithm>
#include <vector>

namespace charloom::infer {

SpanScore score_span(nn::Network& network, const TokenIds& ids, std::size_t begin, std::size_t end, int streams,
                     int steps) {
  SpanScore score;
  if (end <= begin + 1) return score;
  const std::size_t predictable = end - begin - 1;
  const std::size_t batch = std::min<std::size_t>(static_cast<std::size_t>(streams), predictable);
  const std::size_t length = predictable / batch;  // every stream predicts this many units
  nn::StreamState state;
  state.reset(network.config(), static_cast<int>(batch));
  std::vector<std::uint32_t> inputs, targets;
  for (std::size_t position = 0; position < length; position += static_cast<std::size_t>(steps)) {
    const std::size_t chunk = std::min<std::size_t>(static_cast<std::size_t>(steps), length - position);
    inputs.resize(chunk * batch);
    targets.resize(chunk * batch);
    for (std::size_t b = 0; b < batch; ++b) {
      const std::size_t start = begin + b * length + position;
      for (std::size_t t = 0; t < chunk; ++t) {
        inputs[t * batch + b] = ids[start + t];
        targets[t * batch + b] = ids[start + t + 1];
      }
    }
    score.nats += network.score_batch(inputs.data(), targets.data(), static_cast<int>(chunk), static_cast<int>(batch), state);
    score.units += chunk * batch;
  }
  return score;
}

}  // namespace charloom::infer
