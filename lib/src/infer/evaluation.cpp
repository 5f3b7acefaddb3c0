// Batched scoring of a span: the same streams layout as training, in inference mode.
#include "infer/evaluation.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

namespace charloom::infer {

SpanScore score_span(nn::Predictor& network, const TokenIds& ids, std::size_t begin, std::size_t end, int streams,
                     int steps, int part, int parts, const StopRequest* stop) {
  SpanScore score;
  if (end <= begin + 1) return score;
  const std::size_t predictable = end - begin - 1;
  // Streams at least `steps` long: a short text cut into many one-unit streams would be scored
  // from the zero state at nearly every unit.
  const std::size_t all =
      std::clamp<std::size_t>(predictable / static_cast<std::size_t>(steps), 1, static_cast<std::size_t>(streams));
  const std::size_t length = predictable / all;  // every stream predicts this many units
  const std::size_t first = all * static_cast<std::size_t>(part) / static_cast<std::size_t>(parts);
  const std::size_t batch = all * static_cast<std::size_t>(part + 1) / static_cast<std::size_t>(parts) - first;
  if (batch == 0) return score;
  begin += first * length;
  nn::StreamState state;
  state.reset(network.state_config(), static_cast<int>(batch));
  std::vector<std::uint32_t> inputs, targets;
  for (std::size_t position = 0; position < length; position += static_cast<std::size_t>(steps)) {
    if (stop != nullptr && stop->stop_requested()) {
      score.interrupted = true;
      break;
    }
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
    score.nats +=
        network.score_batch(inputs.data(), targets.data(), static_cast<int>(chunk), static_cast<int>(batch), state);
    score.units += chunk * batch;
  }
  return score;
}

std::vector<SpanScore> score_sequences(nn::Predictor& network, const std::vector<std::vector<std::uint32_t>>& sequences,
                                       int batch) {
  constexpr std::size_t chunk = 32;  // steps per call: short lines waste little padding
  std::vector<SpanScore> scores(sequences.size());
  std::vector<std::size_t> order(sequences.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Longest first, so that the sequences in a batch have similar lengths and pad little.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return sequences[a].size() > sequences[b].size(); });
  const std::size_t width = static_cast<std::size_t>(batch);
  std::vector<std::uint32_t> inputs(chunk * width), targets(chunk * width);
  nn::StreamState state;
  for (std::size_t group = 0; group < order.size(); group += width) {
    const std::size_t members = std::min(width, order.size() - group);
    const std::size_t longest = sequences[order[group]].size();
    if (longest < 2) break;  // the rest predict nothing
    state.reset(network.state_config(), batch);
    // Every call has the shape (chunk, batch); padding rows repeat id 0 and are not counted.
    for (std::size_t position = 0; position + 1 < longest; position += chunk) {
      std::fill(inputs.begin(), inputs.end(), 0u);
      std::fill(targets.begin(), targets.end(), 0u);
      for (std::size_t b = 0; b < members; ++b) {
        const std::vector<std::uint32_t>& ids = sequences[order[group + b]];
        for (std::size_t t = 0; t < chunk && position + t + 1 < ids.size(); ++t) {
          inputs[t * width + b] = ids[position + t];
          targets[t * width + b] = ids[position + t + 1];
        }
      }
      network.score_batch(inputs.data(), targets.data(), static_cast<int>(chunk), batch, state);
      const std::vector<double>& losses = network.last_row_losses();
      for (std::size_t b = 0; b < members; ++b) {
        const std::vector<std::uint32_t>& ids = sequences[order[group + b]];
        SpanScore& score = scores[order[group + b]];
        for (std::size_t t = 0; t < chunk && position + t + 1 < ids.size(); ++t) {
          score.nats += losses[t * width + b];
          ++score.units;
        }
      }
    }
  }
  return scores;
}

}  // namespace charloom::infer
