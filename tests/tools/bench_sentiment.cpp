// bench-sentiment: how fast score-sentiment's batched scoring runs for a classifier of the
// default shape: sentences and characters per second, and the achieved GFLOP/s beside
// oneDNN's sgemm rate measured in the same run. Texts come from a labeled TSV file (SST-2's
// dev set, say) or, without one, are random texts of 20 to 200 characters.
//
//   bench-sentiment [--texts FILE.tsv] [--hidden 256] [--layers 1] [--batch 128] [--runs 5] [--precision f32]
#include <cstdio>
#include <string>
#include <vector>

#include "bench_flags.hpp"
#include "bench_timing.hpp"
#include "charloom/labeled_text.hpp"
#include "charloom/sentiment.hpp"
#include "charloom/sentiment_training.hpp"
#include "nn/random.hpp"
#include "random_model.hpp"

using namespace charloom;
using namespace charloom::bench;

int main(int argc, char** argv) {
  ModelConfig config = SentimentTrainingConfig{}.model;
  std::string texts_path;
  int batch = 128, runs = 5;
  Precision precision = Precision::f32;
  for (const auto& [flag, value] : read_flags(argc, argv)) {
    if (apply_shape_flag(config, flag, value)) continue;
    if (flag == "--texts")
      texts_path = value;
    else if (flag == "--batch")
      batch = std::stoi(value);
    else if (flag == "--runs")
      runs = std::stoi(value);
    else if (flag == "--precision")
      precision = parse_precision(value);
    else
      refuse_flag("bench-sentiment", flag);
  }
  SentimentModel model(testing::random_classifier_file(config, testing::ascii_unit_names(), 2), precision);
  config = model.config();

  std::vector<std::vector<std::uint32_t>> texts;
  if (!texts_path.empty()) {
    for (const LabeledText& record : read_labeled_text(texts_path, LabeledReaderOptions{}))
      texts.push_back(model.encode(record.text));
  } else {
    for (std::size_t i = 0; i < 2000; ++i) {
      std::vector<std::uint32_t> ids(20 + static_cast<std::size_t>(nn::uniform01(3, 0, i) * 181));
      for (std::size_t t = 0; t < ids.size(); ++t)
        ids[t] = 1 + static_cast<std::uint32_t>(nn::uniform01(3, 1 + i, t) * 96);
      texts.push_back(std::move(ids));
    }
  }
  double characters = 0.0;
  for (const auto& text : texts) characters += static_cast<double>(text.size());

  const double seconds = median_seconds(runs, [&] { model.score(texts, batch); });
  const double sentences_rate = static_cast<double>(texts.size()) / seconds, char_rate = characters / seconds;
  const double gflops = char_rate * encoder_flops_per_unit(config) / 1e9, peak = sgemm_rate(5);
  std::printf(
      "sentiment classifier %dx%d %s, %s, %s pooling, batch %d; %zu texts, %.0f characters (%s); median of %d runs\n",
      config.layers, config.hidden, std::string(to_string(config.cell)).c_str(),
      std::string(to_string(precision)).c_str(), std::string(to_string(config.pool)).c_str(), batch, texts.size(),
      characters, texts_path.empty() ? "random, 20-200 characters" : texts_path.c_str(), runs);
  std::printf("  %9.0f sentences/s   %9.0f chars/s   %6.1f GFLOP/s = %.0f%% of sgemm (%.1f GFLOP/s)\n", sentences_rate,
              char_rate, gflops, 100.0 * gflops / peak, peak);
  std::printf("  10,000 such sentences: %.1f s\n", 10000.0 / sentences_rate);
  return 0;
}
