// bench-generate: times sampling (µs per unit at batch 1, units per second with many samples)
// and batched scoring through the public API, beside the network's step alone and, for LSTMs,
// oneDNN's bare primitives stepping the same layers, in the same process. Medians over
// several runs.
//
//   bench-generate [--layers 2] [--hidden 512] [--cell lstm] [--length 2000] [--runs 5]
//                  [--precision f32,int8]   (each listed precision in turn, same model)
//                  [--json]                 (one JSON object per precision, for scripts/bench.py)
//                  [--score-units 128000]   (units scored per batched-scoring run)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bare_lstm.hpp"
#include "bench_flags.hpp"
#include "bench_timing.hpp"
#include "charloom/generation.hpp"
#include "charloom/scoring.hpp"
#include "nn/network.hpp"
#include "nn/random.hpp"
#include "random_model.hpp"

using namespace charloom;
using namespace charloom::bench;

namespace {

// Seconds to generate `length` units in each of `samples` samples, text discarded.
double generation_seconds(LanguageModel& model, int samples, std::int64_t length, int runs) {
  GenerationOptions options;
  options.length = length;
  options.samples = samples;
  options.seed = 11;
  const std::vector<std::uint32_t> prime{2, 3, 4};
  return median_seconds(runs, [&] {
    generate(
        model, prime, options, [](int, std::string_view) { return true; }, [](int, const SampleEnd&) {});
  });
}

// The recurrent layers alone, one step at a time at batch 1: oneDNN's share of a step.
double primitive_step_seconds(const ModelConfig& config, Precision precision, std::int64_t length, int runs) {
  nn::Network network(config, precision);
  network.initialize(3);
  nn::StreamState state;
  state.reset(config, 1);
  std::vector<std::uint32_t> input{5};
  return median_seconds(runs, [&] {
    for (std::int64_t i = 0; i < length; ++i) network.forward_logits(input.data(), 1, 1, state);
  });
}

}  // namespace

int main(int argc, char** argv) {
  ModelConfig config;
  std::int64_t length = 2000;
  int runs = 5;
  std::vector<Precision> precisions{Precision::f32};
  bool json = false;
  std::size_t count = 128'000;
  for (const auto& [flag, value] : read_flags(argc, argv, {"--json"})) {
    if (apply_shape_flag(config, flag, value)) continue;
    if (flag == "--json")
      json = true;
    else if (flag == "--length")
      length = std::stoll(value);
    else if (flag == "--runs")
      runs = std::stoi(value);
    else if (flag == "--score-units")
      count = std::stoull(value);
    else if (flag == "--precision")
      precisions = parse_precision_list(value);
    else
      refuse_flag("bench-generate", flag);
  }
  const ModelFile file = testing::random_model_file(config, testing::ascii_unit_names(65));
  config = file.config;
  if (!json)
    std::printf("%dx%d %s, vocabulary %d (median of %d runs)\n", config.layers, config.hidden,
                std::string(to_string(config.cell)).c_str(), config.vocabulary_size, runs);
  TokenIds ids(static_cast<std::size_t>(config.vocabulary_size));
  for (std::size_t i = 0; i < count; ++i) ids.push_back(1 + static_cast<std::uint32_t>(nn::uniform01(5, 0, i) * 64));

  for (const Precision precision : precisions) {
    LanguageModel model(file, precision);
    const double one = generation_seconds(model, 1, length, runs);
    const double network_only = primitive_step_seconds(config, precision, length, runs);
    const double bare = config.cell == CellKind::lstm ? bare_lstm_seconds(config, precision, length, runs) : 0.0;
    const int many = 64;
    const std::int64_t many_length = std::max<std::int64_t>(length / 4, 100);
    const double batch = generation_seconds(model, many, many_length, runs);
    const double one_rate = length / one, many_rate = many * many_length / batch;
    std::vector<double> scoring_rates;
    for (int streams : {32, 64}) {
      const double seconds = median_seconds(runs, [&] { score_span(model, ids, 0, count, streams, 100); });
      scoring_rates.push_back(static_cast<double>(count) / seconds);
    }
    const std::string name(to_string(precision));
    if (json) {
      std::printf(
          "{\"tool\": \"charloom\", \"cell\": \"%s\", \"layers\": %d, \"hidden\": %d, \"precision\": \"%s\", "
          "\"runs\": %d, \"us_per_char\": %.2f, \"step_us\": %.2f, \"primitive_us\": %.2f, "
          "\"samples_1_chars_per_second\": %.1f, "
          "\"samples_64_chars_per_second\": %.1f, \"eval_batch_32_chars_per_second\": %.1f, "
          "\"eval_batch_64_chars_per_second\": %.1f}\n",
          std::string(to_string(config.cell)).c_str(), config.layers, config.hidden, name.c_str(), runs,
          one / length * 1e6, network_only / length * 1e6, bare / length * 1e6, one_rate, many_rate, scoring_rates[0],
          scoring_rates[1]);
      continue;
    }
    std::printf(" %s\n", name.c_str());
    std::printf("  sampling, batch 1          %8.1f us per unit   (network step alone %.1f us: %.0f%% of the time)\n",
                one / length * 1e6, network_only / length * 1e6, 100.0 * network_only / one);
    if (bare > 0.0)
      std::printf("  oneDNN's primitives alone  %8.1f us per unit   (%.0f%% of the time)\n", bare / length * 1e6,
                  100.0 * bare / one);
    std::printf("  sampling, --samples 1      %8.0f units/s\n", one_rate);
    std::printf("  sampling, --samples %d     %8.0f units/s   (%.1fx --samples 1)\n", many, many_rate,
                many_rate / one_rate);
    std::printf("  scoring, batch 32          %8.0f units/s\n", scoring_rates[0]);
    std::printf("  scoring, batch 64          %8.0f units/s\n", scoring_rates[1]);
  }
  return 0;
}
