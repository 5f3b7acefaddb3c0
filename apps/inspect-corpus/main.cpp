// inspect-corpus: shows what charloom's text layer makes of a corpus (units, vocabulary,
// split and the first batch), so a user can check the text before training on it.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "charloom/batcher.hpp"
#include "charloom/corpus.hpp"
#include "common/cli.hpp"

namespace {

using namespace charloom;
namespace po = cli::po;

struct Config {
  std::vector<std::string> corpus;
  cli::TextFlags text;
  std::int64_t min_count = 1;
  double val_fraction = 0.1;
  std::int64_t batch_size = 64;
  std::int64_t seq_length = 100;
  std::int64_t top = 12;
  bool json = false;
};

struct UnitFrequency {
  std::uint32_t id;
  std::uint64_t count;
};

std::vector<std::uint64_t> count_ids(const EncodedCorpus& corpus) {
  std::vector<std::uint64_t> counts(corpus.vocabulary.size(), 0);
  for (std::size_t i = 0; i < corpus.ids.size(); ++i) ++counts[corpus.ids[i]];
  return counts;
}

std::vector<UnitFrequency> rank(const std::vector<std::uint64_t>& counts) {
  std::vector<UnitFrequency> ranked;
  for (std::uint32_t id = 0; id < counts.size(); ++id)
    if (counts[id] > 0) ranked.push_back({id, counts[id]});
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const UnitFrequency& a, const UnitFrequency& b) { return a.count > b.count; });
  return ranked;
}

std::string decode_stream(const Vocabulary& vocabulary, const Batch& batch, std::size_t stream) {
  std::vector<std::uint32_t> ids;
  for (std::size_t t = 0; t < batch.steps; ++t) ids.push_back(batch.inputs[t * batch.streams + stream]);
  return vocabulary.decode(ids);
}

int inspect(const Config& config) {
  const TextOptions options = config.text.resolve();
  const auto started = std::chrono::steady_clock::now();
  const EncodedCorpus corpus = load_corpus(config.corpus, options, static_cast<std::uint64_t>(config.min_count));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const CorpusSplit split = split_corpus(corpus.ids.size(), config.val_fraction);
  const std::vector<std::uint64_t> counts = count_ids(corpus);
  const std::vector<UnitFrequency> ranked = rank(counts);
  const std::uint64_t unknown = counts[Vocabulary::unknown_id];

  Batcher batcher(corpus.ids, split.train_begin, split.train_end, static_cast<std::size_t>(config.batch_size),
                  static_cast<std::size_t>(config.seq_length));
  Batch first;
  batcher.next(first);

  nlohmann::json report{
      {"files", config.corpus},
      {"bytes", corpus.bytes},
      {"unit", to_string(options.unit)},
      {"normalization", to_string(options.normalization)},
      {"units", corpus.ids.size()},
      {"vocabulary_size", corpus.vocabulary.size()},
      {"unknown_units", unknown},
      {"train_units", split.train_end - split.train_begin},
      {"val_units", split.val_end - split.val_begin},
      {"batches_per_epoch", batcher.batches_per_epoch()},
      {"bytes_per_id", corpus.ids.id_bytes()},
      {"seconds", seconds},
      {"peak_rss_bytes", cli::peak_rss_bytes()},
  };
  const std::size_t shown = std::min<std::size_t>(ranked.size(), static_cast<std::size_t>(config.top));
  for (std::size_t i = 0; i < shown; ++i)
    report["most_frequent"].push_back({{"unit", corpus.vocabulary.names()[ranked[i].id]}, {"count", ranked[i].count}});
  report["first_batch_streams"] = {decode_stream(corpus.vocabulary, first, 0),
                                   decode_stream(corpus.vocabulary, first, first.streams - 1)};
  if (config.json) {
    cli::write_stdout(cli::json_text(report, 2) + "\n");
    return 0;
  }

  cli::print_stdout("corpus      %zu file(s), %llu bytes, read in %.2f s\n", config.corpus.size(),
                    static_cast<unsigned long long>(corpus.bytes), seconds);
  cli::print_stdout("units       %zu %s units after %s normalization (%zu bytes per id in memory)\n", corpus.ids.size(),
                    std::string(to_string(options.unit)).c_str(), std::string(to_string(options.normalization)).c_str(),
                    corpus.ids.id_bytes());
  cli::print_stdout("vocabulary  %zu entries including <unk>; %llu units mapped to <unk>\n", corpus.vocabulary.size(),
                    static_cast<unsigned long long>(unknown));
  cli::print_stdout("split       %zu train / %zu validation units (--val-fraction %g)\n",
                    split.train_end - split.train_begin, split.val_end - split.val_begin, config.val_fraction);
  cli::print_stdout("batches     %zu per epoch of %lld streams x %lld steps\n", batcher.batches_per_epoch(),
                    static_cast<long long>(config.batch_size), static_cast<long long>(config.seq_length));
  cli::print_stdout("memory      peak resident %.1f MiB\n", static_cast<double>(cli::peak_rss_bytes()) / (1 << 20));
  cli::print_stdout("most frequent units:\n");
  for (std::size_t i = 0; i < shown; ++i) {
    const std::uint32_t id = ranked[i].id;
    std::string quoted = "'";
    quoted.append(cli::printable(corpus.vocabulary.text_of(id))).push_back('\'');
    cli::print_stdout("  %-8s %10llu  %5.2f%%\n", quoted.c_str(), static_cast<unsigned long long>(ranked[i].count),
                      100.0 * static_cast<double>(ranked[i].count) / static_cast<double>(corpus.ids.size()));
  }
  cli::print_stdout("first batch, stream 0:\n  %s\n",
                    cli::printable(decode_stream(corpus.vocabulary, first, 0)).c_str());
  cli::print_stdout("first batch, stream %zu:\n  %s\n", first.streams - 1,
                    cli::printable(decode_stream(corpus.vocabulary, first, first.streams - 1)).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run("inspect-corpus", [&] {
    Config config;
    po::options_description options("inspect-corpus options");
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("corpus", po::value(&config.corpus)->multitoken()->required(), "UTF-8 text file(s), read in order")
        ("min-count", po::value(&config.min_count)->default_value(config.min_count),
         "units seen fewer times map to <unk>")
        ("val-fraction", po::value(&config.val_fraction)->default_value(config.val_fraction),
         "last fraction of the units kept for validation")
        ("batch-size", po::value(&config.batch_size)->default_value(config.batch_size), "parallel streams (B)")
        ("seq-length", po::value(&config.seq_length)->default_value(config.seq_length), "steps per batch (T)")
        ("top", po::value(&config.top)->default_value(config.top), "how many frequent units to list")
        ("json", po::bool_switch(&config.json), "print one JSON object instead of text");
    // clang-format on
    config.text.add_to(options);
    po::positional_options_description positional;
    positional.add("corpus", -1);
    po::variables_map values;
    if (!cli::parse(argc, argv, options, positional, values, "inspect-corpus [options] --corpus FILE...")) return 0;
    cli::checked_range("min-count", config.min_count, 1, std::int64_t{1} << 40);
    cli::checked_range("batch-size", config.batch_size, 1, 1 << 16);
    cli::checked_range("seq-length", config.seq_length, 1, 1 << 20);
    cli::checked_range("top", config.top, 0, 1 << 20);
    return inspect(config);
  });
}
