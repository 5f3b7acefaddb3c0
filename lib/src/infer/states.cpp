// The per-unit states of a text, and the next unit's distribution, on a loaded model.
#include "charloom/states.hpp"

#include <algorithm>
#include <cmath>

#include "infer/language_model_impl.hpp"
#include "infer/sample_stream.hpp"

namespace charloom {

TextStates text_states(LanguageModel& model, std::span<const std::uint32_t> ids) {
  check_unit_ids(model, ids);
  nn::Mixture& network = model.impl().network;
  const ModelConfig& config = network.state_config();  // a mixture's states hold every member's layers
  TextStates states;
  states.units = ids.size();
  states.layers = config.layers;
  states.hidden = config.hidden;
  const std::size_t per_unit = static_cast<std::size_t>(config.layers) * config.hidden;
  states.hidden_states.reserve(ids.size() * per_unit);
  if (config.cell == CellKind::lstm) states.cell_states.reserve(ids.size() * per_unit);

  const std::lock_guard<std::mutex> running(model.impl().running);
  nn::StreamState state;
  state.reset(config, 1);
  for (const std::uint32_t id : ids) {
    network.forward_logits(&id, 1, 1, state);
    // A carried state's buffers may be longer than one stream's: they were a larger batch's.
    for (const auto& layer : state.h)
      states.hidden_states.insert(states.hidden_states.end(), layer.begin(), layer.begin() + config.hidden);
    for (const auto& layer : state.c)
      states.cell_states.insert(states.cell_states.end(), layer.begin(), layer.begin() + config.hidden);
  }
  return states;
}

std::vector<double> next_distribution(LanguageModel& model, std::span<const std::uint32_t> prime) {
  check_unit_ids(model, prime);
  const std::lock_guard<std::mutex> running(model.impl().running);
  nn::Mixture& network = model.impl().network;
  nn::StreamState state;
  const std::uint32_t first = infer::run_prime(network, model.impl().vocabulary, prime, state);
  const float* logits = network.forward_logits(&first, 1, 1, state);
  const std::size_t size = model.vocabulary().size();
  const double top = *std::max_element(logits, logits + size);
  std::vector<double> probabilities(size);
  double total = 0.0;
  for (std::size_t i = 0; i < size; ++i) total += probabilities[i] = std::exp(logits[i] - top);
  for (double& p : probabilities) p /= total;
  return probabilities;
}

}  // namespace charloom
