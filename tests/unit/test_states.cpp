// Per-unit states and the next unit's distribution agree with the model's head, its scorer
// and its sampler.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "charloom/errors.hpp"
#include "charloom/scoring.hpp"
#include "charloom/states.hpp"
#include "charloom/stream_batch.hpp"
#include "random_model.hpp"

using namespace charloom;

namespace {

const NamedTensor& tensor(const ModelFile& file, const std::string& name) {
  for (const NamedTensor& t : file.tensors)
    if (t.name == name) return t;
  FAIL("no tensor " << name);
  throw;
}

// softmax(W h + b) of the head, computed here from the file's tensors.
std::vector<double> head_distribution(const ModelFile& file, const float* top_hidden) {
  const NamedTensor& weight = tensor(file, "head.weight");
  const NamedTensor& bias = tensor(file, "head.bias");
  const auto rows = static_cast<std::size_t>(weight.shape[0]), columns = static_cast<std::size_t>(weight.shape[1]);
  std::vector<double> p(rows);
  double total = 0.0;
  for (std::size_t r = 0; r < rows; ++r) {
    double logit = bias.values[r];
    for (std::size_t k = 0; k < columns; ++k) logit += weight.values[r * columns + k] * double{top_hidden[k]};
    p[r] = std::exp(logit);
    total += p[r];
  }
  for (double& value : p) value /= total;
  return p;
}

}  // namespace

TEST_CASE("each unit's top state, through the head, is the next-unit distribution after that prefix") {
  for (CellKind cell : {CellKind::lstm, CellKind::gru}) {
    const ModelFile file = testing::random_model_file(testing::small_model_config(cell), testing::ascii_unit_names());
    LanguageModel model(file);
    const std::vector<std::uint32_t> ids = model.encode("To be, or not to be: that is", UnknownPolicy::error);
    score_sequences(model, {ids, ids, ids}, 3);  // the network's buffers now hold a larger batch
    const TextStates states = text_states(model, ids);
    CHECK(states.units == ids.size());
    CHECK(states.hidden_states.size() == ids.size() * 2 * 24);
    CHECK(states.cell_states.size() == (cell == CellKind::lstm ? states.hidden_states.size() : 0));
    double nats = 0.0;
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const float* top = states.hidden_states.data() + (k * 2 + 1) * 24;
      const std::vector<double> expected = head_distribution(file, top);
      const std::vector<double> got =
          next_distribution(model, std::span<const std::uint32_t>(ids.data(), k + 1));  // the sampler's priming
      REQUIRE(got.size() == expected.size());
      for (std::size_t v = 0; v < got.size(); ++v) CHECK(got[v] == doctest::Approx(expected[v]).epsilon(1e-4));
      if (k + 1 < ids.size()) nats -= std::log(got[ids[k + 1]]);
    }
    // The same units cost what the scorer says they cost.
    CHECK(nats == doctest::Approx(score_sequences(model, {ids}, 1)[0].nats).epsilon(1e-4));
  }
}

TEST_CASE("the distribution after a prime is the one the first drawn unit's log-probability comes from") {
  LanguageModel model(testing::random_model_file(testing::small_model_config(), testing::ascii_unit_names()));
  const std::vector<std::uint32_t> prime = model.encode("ROMEO:", UnknownPolicy::error);
  StreamSettings settings;
  settings.length = 1;
  settings.seed = 7;
  settings.logprobs = 0;
  StreamBatch batch(model);
  batch.add(prime, settings);
  const StreamOutput out = batch.step().at(0);
  REQUIRE(out.units.size() == 1);
  const auto drawn = model.vocabulary().find(out.units[0].text);
  REQUIRE(drawn.has_value());
  CHECK(std::log(next_distribution(model, prime)[*drawn]) == doctest::Approx(out.units[0].logprob).epsilon(1e-5));
  // Without a prime, sampling starts after a newline.
  const std::vector<std::uint32_t> newline = model.encode("\n", UnknownPolicy::error);
  CHECK(next_distribution(model, {}) == next_distribution(model, newline));
}

TEST_CASE("states refuse ids outside the vocabulary") {
  LanguageModel model(testing::random_model_file(testing::small_model_config(), testing::ascii_unit_names()));
  const std::vector<std::uint32_t> bad{1, 500};
  CHECK_THROWS_AS(text_states(model, bad), Error);
  CHECK_THROWS_AS(next_distribution(model, bad), Error);
}
