// bench-train-step: times charloom's full training step (embedding, recurrent stack, head,
// loss, backward, clipping, Adam, weight reorders) and batched evaluation, and prints
// medians with the achieved GFLOP/s beside oneDNN's sgemm rate measured in the same run.
//
//   bench-train-step [--cell lstm|gru] [--hidden 512] [--layers 2] [--precision f32,bf16]
//                    [--dropout 0.25] [--batch 64] [--runs 7] [--json]
//
// Dropout is train-model's: on the embedding, between layers and before the head. The same
// step without dropout runs beside it, in turn, so that its cost is measured on equal terms.
// Each listed precision (f32, bf16 or auto) steps in that same turn, so a ratio between two
// precisions compares runs of the same minutes on this shared machine; the ratios to the first
// precision close the table. --json prints one JSON object per precision, for scripts/bench.py.
#include <dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
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

namespace {

// One precision's step with dropout and the same step without, each with its own optimizer.
struct Variant {
  Variant(const ModelConfig& config, Precision asked, const TrainingConfig& training)
      : choice(resolve_precision(asked, config)),
        network(config, choice.precision),
        plain(without_dropout(config), choice.precision) {
    for (nn::Network* n : {&network, &plain}) {
      n->initialize(1);
      n->set_top_dropout(training.dropout_before_head);  // as train-model runs it
    }
    const auto settings = train::optimizer_settings(training);
    optimizer = train::make_optimizer(settings, network.parameters().size());
    plain_optimizer = train::make_optimizer(settings, plain.parameters().size());
  }
  static ModelConfig without_dropout(ModelConfig config) {
    config.dropout = 0.0f;
    return config;
  }

  PrecisionChoice choice;
  nn::Network network, plain;
  std::unique_ptr<train::Optimizer> optimizer, plain_optimizer;
  std::vector<double> train_seconds, plain_seconds, eval_seconds;
};

// Median rates of one variant, in characters per second.
struct Rates {
  double train, plain, eval;
};

// The batch every variant trains on and scores: random characters, the same for all.
struct Workload {
  Workload(const ModelConfig& config, int batch)
      : batch(batch), inputs(std::size_t{steps} * batch), targets(inputs.size()) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      inputs[i] = static_cast<std::uint32_t>(nn::uniform01(7, 1, i) * 65);
      targets[i] = static_cast<std::uint32_t>(nn::uniform01(7, 2, i) * 65);
    }
    state.reset(config, batch);
  }
  // One training step as train-model takes it, timed: forward, backward, clipping and Adam.
  double train(nn::Network& n, train::Optimizer& o, std::uint64_t step) {
    const auto start = Clock::now();
    n.train_batch(inputs.data(), targets.data(), steps, batch, state, 1, step);
    const double norm = train::global_norm(n.gradients());
    train::clip_to_norm(n.gradients(), norm, 5.0);
    o.step(n.parameters(), n.gradients(), 1e-3);
    n.parameters_changed();
    return seconds_since(start);
  }
  double score(nn::Network& n) {
    const auto start = Clock::now();
    n.score_batch(inputs.data(), targets.data(), steps, batch, state);
    return seconds_since(start);
  }
  double units() const { return static_cast<double>(steps) * batch; }

  static constexpr int steps = 100;
  int batch;
  std::vector<std::uint32_t> inputs, targets;
  nn::StreamState state;
};

Rates rates_of(const Variant& v, double units) {
  return {units / median(v.train_seconds), units / median(v.plain_seconds), units / median(v.eval_seconds)};
}

// Two warm-up steps (the first runs build primitives), then `runs` rounds in which every
// variant takes its turn.
void time_variants(std::vector<std::unique_ptr<Variant>>& variants, Workload& work, int runs) {
  for (std::uint64_t warm = 0; warm < 2; ++warm) {
    for (auto& v : variants) {
      work.train(v->network, *v->optimizer, warm);
      work.train(v->plain, *v->plain_optimizer, warm);
    }
  }
  for (int run = 0; run < runs; ++run) {
    const auto step = static_cast<std::uint64_t>(run) + 2;
    for (auto& v : variants) {
      v->train_seconds.push_back(work.train(v->network, *v->optimizer, step));
      v->plain_seconds.push_back(work.train(v->plain, *v->plain_optimizer, step));
      v->eval_seconds.push_back(work.score(v->network));
    }
  }
}

// What every line of the report shares.
struct Report {
  ModelConfig config;
  int batch, runs;
  double units, forward_flops, sgemm_gflops;
  // Training does the forward pass and a backward pass of about twice its cost.
  double train_gflops(const Rates& r) const { return r.train * 3.0 * forward_flops / 1e9; }
  double eval_gflops(const Rates& r) const { return r.eval * forward_flops / 1e9; }
};

void print_json(const Report& report, const Variant& v) {
  const Rates r = rates_of(v, report.units);
  const ModelConfig& c = report.config;
  std::printf(
      "{\"tool\": \"charloom\", \"cell\": \"%s\", \"layers\": %d, \"hidden\": %d, \"precision\": \"%s\", "
      "\"precision_reason\": \"%s\", \"dropout\": %.3g, \"batch\": %d, \"runs\": %d, "
      "\"train_chars_per_second\": %.1f, \"train_gflops\": %.2f, \"train_chars_per_second_without_dropout\": %.1f, "
      "\"eval_chars_per_second\": %.1f, \"eval_gflops\": %.2f, \"sgemm_gflops\": %.2f}\n",
      std::string(to_string(c.cell)).c_str(), c.layers, c.hidden, std::string(to_string(v.choice.precision)).c_str(),
      v.choice.reason.c_str(), c.dropout, report.batch, report.runs, r.train, report.train_gflops(r), r.plain, r.eval,
      report.eval_gflops(r), report.sgemm_gflops);
}

void print_table(const Report& report, const std::vector<std::unique_ptr<Variant>>& variants) {
  const ModelConfig& c = report.config;
  const double peak = report.sgemm_gflops;
  std::printf("%dx%d %s, batch %d, seq %d, vocabulary %d (median of %d runs)\n", c.layers, c.hidden,
              std::string(to_string(c.cell)).c_str(), report.batch, Workload::steps, c.vocabulary_size, report.runs);
  for (const auto& v : variants) {
    const Rates r = rates_of(*v, report.units);
    std::printf("%s (%s)\n", std::string(to_string(v->choice.precision)).c_str(), v->choice.reason.c_str());
    std::printf("  training step   %9.0f chars/s  %6.1f GFLOP/s  %4.0f%% of sgemm  (dropout %.2f)\n", r.train,
                report.train_gflops(r), 100 * report.train_gflops(r) / peak, c.dropout);
    std::printf("  without dropout %9.0f chars/s  dropout costs %.1f%%\n", r.plain, 100.0 * (1.0 - r.train / r.plain));
    std::printf("  batched scoring %9.0f chars/s  %6.1f GFLOP/s  %4.0f%% of sgemm\n", r.eval, report.eval_gflops(r),
                100 * report.eval_gflops(r) / peak);
  }
  const Rates first = rates_of(*variants.front(), report.units);
  for (std::size_t i = 1; i < variants.size(); ++i) {
    const Rates r = rates_of(*variants[i], report.units);
    std::printf("%s / %s: training %.2fx, without dropout %.2fx, scoring %.2fx\n",
                std::string(to_string(variants[i]->choice.precision)).c_str(),
                std::string(to_string(variants.front()->choice.precision)).c_str(), r.train / first.train,
                r.plain / first.plain, r.eval / first.eval);
  }
  std::printf("oneDNN sgemm 2048^3: %.1f GFLOP/s\n", peak);
}

}  // namespace

int main(int argc, char** argv) {
  ModelConfig config;
  config.vocabulary_size = 65;
  int runs = 7;
  std::vector<Precision> precisions{Precision::f32};
  int batch = 64;
  bool json = false;
  for (const auto& [flag, value] : read_flags(argc, argv, {"--json"})) {
    if (apply_shape_flag(config, flag, value)) continue;
    if (flag == "--json")
      json = true;
    else if (flag == "--runs")
      runs = std::stoi(value);
    else if (flag == "--precision")
      precisions = parse_precision_list(value);
    else if (flag == "--dropout")
      config.dropout = std::stof(value);
    else if (flag == "--batch")
      batch = std::stoi(value);
    else
      refuse_flag("bench-train-step", flag);
  }
  const TrainingConfig training;
  std::vector<std::unique_ptr<Variant>> variants;
  for (const Precision precision : precisions)
    variants.push_back(std::make_unique<Variant>(config, precision, training));
  Workload work(config, batch);
  time_variants(variants, work, runs);
  const Report report{config, batch, runs, work.units(), forward_flops_per_unit(config), sgemm_rate(5)};
  if (!json) {
    print_table(report, variants);
    return 0;
  }
  for (const auto& v : variants) print_json(report, *v);
  return 0;
}
