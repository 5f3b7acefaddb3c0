// The sampler's distributions and draws, the UTF-8 constraint and stop-string matching.
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "charloom/errors.hpp"
#include "charloom/text.hpp"
#include "infer/sampler.hpp"
#include "infer/stop_matcher.hpp"
#include "infer/utf8_constraint.hpp"
#include "nn/random.hpp"
#include "random_model.hpp"
#include "test_helpers.hpp"

using namespace charloom;
using infer::Sampler;

namespace {

SamplingOptions sampling(double temperature, int top_k = 0, double top_p = 1.0) {
  SamplingOptions options;
  options.temperature = temperature;
  options.top_k = top_k;
  options.top_p = top_p;
  return options;
}

std::vector<double> softmax(const std::vector<float>& logits, double temperature) {
  std::vector<double> p(logits.size());
  double total = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) total += p[i] = std::exp(logits[i] / temperature);
  for (double& value : p) value /= total;
  return p;
}

// Pearson's chi-square statistic of `draws` from Sampler against `expected` probabilities.
double chi_square(Sampler& sampler, const std::vector<float>& logits, const std::vector<double>& expected, int draws,
                  const std::uint8_t* allowed = nullptr) {
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < draws; ++i) ++counts[sampler.pick(logits.data(), allowed, nn::uniform01(42, 0, i))];
  double statistic = 0.0;
  for (std::size_t id = 0; id < logits.size(); ++id) {
    if (expected[id] == 0.0) {
      CHECK(counts[id] == 0);
      continue;
    }
    const double e = expected[id] * draws;
    statistic += (counts[id] - e) * (counts[id] - e) / e;
  }
  return statistic;
}

const std::vector<float> ten_logits{0.3f, -1.2f, 2.0f, 0.0f, 1.1f, -0.4f, 0.9f, -2.5f, 1.5f, 0.1f};

}  // namespace

TEST_CASE("temperature 0 and top-k 1 pick the most likely allowed unit, the lowest id among ties") {
  Sampler argmax(sampling(0.0), 4), top1(sampling(1.0, 1), 4);
  const std::vector<float> logits{1.0f, 3.0f, 3.0f, -1.0f};
  CHECK(argmax.pick(logits.data(), nullptr, 0.99f) == 1);
  CHECK(top1.pick(logits.data(), nullptr, 0.99f) == 1);
  const std::uint8_t mask[] = {1, 0, 1, 1};
  CHECK(argmax.pick(logits.data(), mask, 0.5f) == 2);
  // For random logits, top-k 1 at any temperature is argmax.
  Sampler top1_hot(sampling(1.7, 1), ten_logits.size());
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<float> random(ten_logits.size());
    for (std::size_t i = 0; i < random.size(); ++i) random[i] = 4.0f * nn::uniform01(9, trial, i) - 2.0f;
    Sampler plain_argmax(sampling(0.0), random.size());
    CHECK(top1_hot.pick(random.data(), nullptr, nn::uniform01(8, trial, 0)) ==
          plain_argmax.pick(random.data(), nullptr, 0.0f));
  }
}

TEST_CASE("top-p keeps the smallest set of units whose mass reaches p") {
  // Probabilities 0.5, 0.3, 0.15, 0.05 in a shuffled order.
  const std::vector<float> logits{std::log(0.15f), std::log(0.5f), std::log(0.05f), std::log(0.3f)};
  const auto kept = [&](double p) {
    Sampler sampler(sampling(1.0, 0, p), logits.size());
    std::vector<int> ids;
    for (std::size_t id = 0; const double q : sampler.distribution(logits.data(), nullptr)) {
      if (q > 0.0) ids.push_back(static_cast<int>(id));
      ++id;
    }
    return ids;
  };
  CHECK(kept(0.5) == std::vector<int>{1});
  CHECK(kept(0.79) == std::vector<int>{1, 3});
  CHECK(kept(0.8) == std::vector<int>{1, 3});
  CHECK(kept(0.81) == std::vector<int>{0, 1, 3});
  CHECK(kept(1.0) == std::vector<int>{0, 1, 2, 3});
  Sampler sampler(sampling(1.0, 0, 0.81), logits.size());
  const std::vector<double>& p = sampler.distribution(logits.data(), nullptr);
  CHECK(p[1] == doctest::Approx(0.5 / 0.95));
  CHECK(std::accumulate(p.begin(), p.end(), 0.0) == doctest::Approx(1.0));
}

TEST_CASE("over 100,000 draws, sampling frequencies match the softmax (chi-square)") {
  // Critical value of chi-square with 9 degrees of freedom at p = 0.001: 27.88.
  for (double temperature : {1.0, 0.7, 1.6}) {
    Sampler sampler(sampling(temperature), ten_logits.size());
    CAPTURE(temperature);
    CHECK(chi_square(sampler, ten_logits, softmax(ten_logits, temperature), 100'000) < 27.88);
  }
  // top-k 4 renormalizes the four most likely; the rest are never drawn (3 degrees: 16.27).
  Sampler top4(sampling(1.0, 4), ten_logits.size());
  std::vector<double> expected = softmax(ten_logits, 1.0);
  const double kept_mass = expected[2] + expected[8] + expected[4] + expected[6];
  for (std::size_t id = 0; id < expected.size(); ++id)
    expected[id] = (id == 2 || id == 8 || id == 4 || id == 6) ? expected[id] / kept_mass : 0.0;
  CHECK(chi_square(top4, ten_logits, expected, 100'000) < 16.27);
  // A mask removes units and renormalizes the rest.
  std::vector<std::uint8_t> mask(ten_logits.size(), 1);
  mask[2] = mask[5] = 0;
  std::vector<double> masked = softmax(ten_logits, 1.0);
  const double removed = masked[2] + masked[5];
  for (std::size_t id = 0; id < masked.size(); ++id) masked[id] = mask[id] ? masked[id] / (1.0 - removed) : 0.0;
  Sampler plain(sampling(1.0), ten_logits.size());
  CHECK(chi_square(plain, ten_logits, masked, 100'000, mask.data()) < 24.32);  // 7 degrees
}

TEST_CASE("sampling options out of range are usage errors") {
  CHECK_THROWS_AS(sampling(-0.5).validate(), UsageError);
  CHECK_THROWS_AS(sampling(1.0, -1).validate(), UsageError);
  CHECK_THROWS_AS(sampling(1.0, 0, 0.0).validate(), UsageError);
  CHECK_THROWS_AS(sampling(1.0, 0, 1.01).validate(), UsageError);
  CHECK_NOTHROW(sampling(0.0, 5, 1.0).validate());
  GenerationOptions options;
  options.length = 0;
  CHECK_THROWS_AS(options.validate(), UsageError);
}

TEST_CASE("the UTF-8 constraint allows exactly the bytes of table 3-7 and never <unk>") {
  const Vocabulary bytes = Vocabulary::from_names(testing::all_byte_names(), TextUnit::byte);
  const infer::Utf8Constraint constraint(bytes);
  const auto allowed_bytes = [&](infer::Utf8Constraint::State state) {
    std::vector<int> result;
    const std::uint8_t* mask = constraint.allowed(state);
    CHECK(mask[Vocabulary::unknown_id] == 0);
    for (int byte = 0; byte < 256; ++byte)
      if (mask[*bytes.find(std::string(1, static_cast<char>(byte)))]) result.push_back(byte);
    return result;
  };
  const auto range = [](int low, int high) {
    std::vector<int> result;
    for (int byte = low; byte <= high; ++byte) result.push_back(byte);
    return result;
  };
  std::vector<int> starts = range(0x00, 0x7F);
  for (int byte : range(0xC2, 0xF4)) starts.push_back(byte);
  CHECK(allowed_bytes({}) == starts);
  const auto after = [&](std::initializer_list<int> sequence) {
    infer::Utf8Constraint::State state;
    for (int byte : sequence) state = constraint.advance(state, std::string(1, static_cast<char>(byte)));
    return allowed_bytes(state);
  };
  CHECK(after({0xC3}) == range(0x80, 0xBF));
  CHECK(after({0xE0}) == range(0xA0, 0xBF));
  CHECK(after({0xED}) == range(0x80, 0x9F));
  CHECK(after({0xF0}) == range(0x90, 0xBF));
  CHECK(after({0xF4}) == range(0x80, 0x8F));
  CHECK(after({0xF4, 0x8F}) == range(0x80, 0xBF));
  CHECK(after({0xE2, 0x82, 0xAC}) == starts);

  // A random walk through the allowed bytes is always well-formed UTF-8.
  std::string text;
  infer::Utf8Constraint::State state;
  for (int i = 0; i < 20000 || !state.complete(); ++i) {
    const std::vector<int> choices = allowed_bytes(state);
    const int byte = choices[static_cast<std::size_t>(nn::uniform01(5, 0, i) * choices.size())];
    text += static_cast<char>(byte);
    state = constraint.advance(state, text.substr(text.size() - 1));
  }
  CHECK_NOTHROW(split_units(text, testing::with_unit(TextUnit::codepoint, Normalization::none)));
}

TEST_CASE("a lead byte whose sequence the vocabulary cannot finish is never allowed") {
  // C3 is known but no continuation byte is: choosing it would strand the output.
  const Vocabulary bytes = Vocabulary::from_names({"<unk>", "a", "b", "<0xC3>"}, TextUnit::byte);
  const infer::Utf8Constraint constraint(bytes);
  const std::uint8_t* start = constraint.allowed({});
  CHECK(start[*bytes.find("a")] == 1);
  CHECK(start[*bytes.find("\xC3")] == 0);
  // Code point vocabularies allow every known unit.
  const Vocabulary points = Vocabulary::from_names({"<unk>", "a", "\xC3\xA9"}, TextUnit::codepoint);
  const infer::Utf8Constraint any(points);
  CHECK(std::vector<std::uint8_t>(any.allowed({}), any.allowed({}) + 3) == std::vector<std::uint8_t>{0, 1, 1});
}

TEST_CASE("stop strings end the text at the first match and hold back only possible matches") {
  infer::StopMatcher matcher({"\n\n", "THE END"});
  std::string released;
  const auto feed = [&](std::string_view piece) {
    const auto step = matcher.append(piece);
    released += step.release;
    return step.stop;
  };
  CHECK(feed("a") == -1);
  CHECK(released == "a");
  CHECK(feed("\n") == -1);
  CHECK(released == "a");  // "\n" may start "\n\n"
  CHECK(feed("b") == -1);
  CHECK(released == "a\nb");
  CHECK(feed("THE") == -1);
  CHECK(feed(" EN") == -1);
  CHECK(released == "a\nb");
  CHECK(feed("D!") == 1);
  CHECK(released == "a\nb");  // the match itself is never released

  infer::StopMatcher earliest({"cd", "bcde"});
  std::string out;
  for (char c : std::string("abcdef")) {
    const auto step = earliest.append(std::string(1, c));
    out += step.release;
    if (step.stop >= 0) {
      CHECK(step.stop == 0);
      break;
    }
  }
  CHECK(out == "ab");
  infer::StopMatcher held({"xyz"});
  CHECK(held.append("axy").release == "a");
  CHECK(held.flush() == "xy");
}
