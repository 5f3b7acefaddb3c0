// bench-train-step: times charloom's full training step (embedding, recurrent stack, head,
// loss, backward, clipping, Adam, weight reorders) and batched evaluation, and prints
// medians with the achieved GFLOP/s beside oneDNN's sgemm rate measured in the same run.
//
//   bench-train-step [--cell lstm|gru] [--hidden 512] [--layers 2] [--precision f32|bf16|auto]
//                    [--dropout 0.25] [--batch 64] [--runs 7] [--json]
//
// Dropout is train-model's: on the embedding, between layers and before the head. The same
// step without dropout runs beside it, in turn, so that its cost is measured on equal terms.
// --json prints one JSON object instead of the table, for scripts/bench.py.
#include <dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench_flags.hpp"
#include "bench_timing.hpp"
#include "charloom/training.hpp"
#include "nn/network.hpp"
#include "nn/random.hpp"
#include "train/optimizer.hpp"

using namespace charloom;
using namespace charloom::bench;

int main(int argc, char** argv) {
  ModelConfig config;
  config.vocabulary_size = 65;
  int runs = 7;
  Precision precision = Precision::f32;
  const int steps = 100;
  int batch = 64;
  bool json = false;
  for (const auto& [flag, value] : read_flags(argc, argv, {"--json"})) {
    if (apply_shape_flag(config, flag, value)) continue;
    if (flag == "--json")
      json = true;
    else if (flag == "--runs")
      runs = std::stoi(value);
    else if (flag == "--precision")
      precision = parse_precision(value);
    else if (flag == "--dropout")
      config.dropout = std::stof(value);
    else if (flag == "--batch")
      batch = std::stoi(value);
    else
      refuse_flag("bench-train-step", flag);
  }
  const PrecisionChoice choice = resolve_precision(precision, config);
  TrainingConfig training;
  ModelConfig undropped = config;
  undropped.dropout = 0.0f;
  nn::Network network(config, choice.precision), plain(undropped, choice.precision);
  for (nn::Network* n : {&network, &plain}) {
    n->initialize(1);
    n->set_top_dropout(training.dropout_before_head);  // as train-model runs it
  }
  std::vector<std::uint32_t> inputs(static_cast<std::size_t>(steps) * batch), targets(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    inputs[i] = static_cast<std::uint32_t>(nn::uniform01(7, 1, i) * 65);
    targets[i] = static_cast<std::uint32_t>(nn::uniform01(7, 2, i) * 65);
  }
  nn::StreamState state;
  state.reset(config, batch);
  auto settings = train::optimizer_settings(training);
  auto optimizer = train::make_optimizer(settings, network.parameters().size());
  auto plain_optimizer = train::make_optimizer(settings, plain.parameters().size());
  auto train_step = [&](nn::Network& n, train::Optimizer& o, std::uint64_t step) {
    const auto start = Clock::now();
    n.train_batch(inputs.data(), targets.data(), steps, batch, state, 1, step);
    const double norm = train::global_norm(n.gradients());
    train::clip_to_norm(n.gradients(), norm, 5.0);
    o.step(n.parameters(), n.gradients(), 1e-3);
    n.parameters_changed();
    return seconds_since(start);
  };
  for (int warm = 0; warm < 2; ++warm) {  // the first runs build primitives
    train_step(network, *optimizer, warm);
    train_step(plain, *plain_optimizer, warm);
  }
  std::vector<double> train_seconds, plain_seconds, eval_seconds;
  for (int run = 0; run < runs; ++run) {
    train_seconds.push_back(train_step(network, *optimizer, static_cast<std::uint64_t>(run) + 2));
    plain_seconds.push_back(train_step(plain, *plain_optimizer, static_cast<std::uint64_t>(run) + 2));
    const auto start = Clock::now();
    network.score_batch(inputs.data(), targets.data(), steps, batch, state);
    eval_seconds.push_back(seconds_since(start));
  }
  const double units = static_cast<double>(steps) * batch;
  const double train_rate = units / median(train_seconds), eval_rate = units / median(eval_seconds);
  const double plain_rate = units / median(plain_seconds);
  const double forward = forward_flops_per_unit(config);
  const double peak = sgemm_rate(5);
  // Training does the forward pass and a backward pass of about twice its cost.
  const double train_gflops = train_rate * 3.0 * forward / 1e9, eval_gflops = eval_rate * forward / 1e9;
  if (json) {
    std::printf(
        "{\"tool\": \"charloom\", \"cell\": \"%s\", \"layers\": %d, \"hidden\": %d, \"precision\": \"%s\", "
        "\"precision_reason\": \"%s\", \"dropout\": %.3g, \"runs\": %d, \"train_chars_per_second\": %.1f, "
        "\"train_gflops\": %.2f, \"train_chars_per_second_without_dropout\": %.1f, "
        "\"eval_chars_per_second\": %.1f, \"eval_gflops\": %.2f, \"sgemm_gflops\": %.2f}\n",
        std::string(to_string(config.cell)).c_str(), config.layers, config.hidden,
        std::string(to_string(choice.precision)).c_str(), choice.reason.c_str(), config.dropout, runs, train_rate,
        train_gflops, plain_rate, eval_rate, eval_gflops, peak);
    return 0;
  }
  std::printf("%dx%d %s %s (%s), batch %d, seq %d, vocabulary %d (median of %d runs)\n", config.layers, config.hidden,
              std::string(to_string(config.cell)).c_str(), std::string(to_string(choice.precision)).c_str(),
              choice.reason.c_str(), batch, steps, config.vocabulary_size, runs);
  std::printf("  training step   %9.0f chars/s  %6.1f GFLOP/s  %4.0f%% of sgemm  (dropout %.2f)\n", train_rate,
              train_gflops, 100 * train_gflops / peak, config.dropout);
  std::printf("  without dropout %9.0f chars/s  dropout costs %.1f%%\n", plain_rate,
              100.0 * (1.0 - train_rate / plain_rate));
  std::printf("  batched scoring %9.0f chars/s  %6.1f GFLOP/s  %4.0f%% of sgemm\n", eval_rate, eval_gflops,
              100 * eval_gflops / peak);
  std::printf("  oneDNN sgemm 2048^3: %.1f GFLOP/s\n", peak);
  return 0;
}
