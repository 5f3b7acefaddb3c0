// Corpus loading in two streaming passes (count, then encode) and the train/validation split.
#include "charloom/corpus.hpp"

#include <cmath>
#include <string>

#include "charloom/errors.hpp"
#include "io/file_reader.hpp"

namespace charloom {

CorpusSplit split_corpus(std::size_t id_count, double val_fraction) {
  if (!(val_fraction >= 0.0 && val_fraction < 1.0))
    throw UsageError("--val-fraction must be in [0, 1), got " + std::to_string(val_fraction));
  // Rounded down, so 0.1 of 1,115,394 units gives nanoGPT's 1,003,854 / 111,540 split.
  const auto train_count = static_cast<std::size_t>(std::floor(static_cast<double>(id_count) * (1.0 - val_fraction)));
  return CorpusSplit{0, train_count, train_count, id_count};
}

UnitCounts count_units(const std::vector<std::string>& paths, const TextOptions& options, const StopRequest* stop) {
  UnitCounts counts;
  for (const std::string& path : paths)
    tokenize_file(
        path, options, [&](std::string_view unit) { counts.add(unit); }, stop);
  return counts;
}

TokenIds encode_files(const std::vector<std::string>& paths, const TextOptions& options, const Vocabulary& vocabulary,
                      const StopRequest* stop) {
  TokenIds ids(vocabulary.size());
  // A unit takes at least one byte, so the byte count bounds the id count: one allocation.
  std::uint64_t bytes = 0;
  for (const std::string& path : paths) bytes += io::file_size(path);
  ids.reserve(static_cast<std::size_t>(bytes));
  for (const std::string& path : paths)
    tokenize_file(
        path, options, [&](std::string_view unit) { ids.push_back(vocabulary.id_of(unit)); }, stop);
  return ids;
}

EncodedCorpus load_corpus(const std::vector<std::string>& paths, const TextOptions& options, std::uint64_t min_count,
                          const StopRequest* stop) {
  if (paths.empty()) throw UsageError("no corpus file given; pass --corpus FILE");
  if (min_count < 1) throw UsageError("--min-count must be at least 1");
  EncodedCorpus corpus;
  for (const std::string& path : paths) corpus.bytes += io::file_size(path);
  corpus.vocabulary = Vocabulary::build(count_units(paths, options, stop), options.unit, min_count);
  corpus.ids = encode_files(paths, options, corpus.vocabulary, stop);
  return corpus;
}

}  // namespace charloom
