// A corpus as one sequence of unit ids, streamed from files, and its train/validation split.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "charloom/text.hpp"
#include "charloom/vocabulary.hpp"

namespace charloom {

// The ids of a whole corpus, held once: 16 bits each when the vocabulary fits, else 32.
class TokenIds {
 public:
  explicit TokenIds(std::size_t vocabulary_size = 0);
  void reserve(std::size_t count);
  void push_back(std::uint32_t id);
  std::size_t size() const { return wide_ ? wide_ids_.size() : narrow_ids_.size(); }
  std::uint32_t operator[](std::size_t i) const { return wide_ ? wide_ids_[i] : narrow_ids_[i]; }
  // Bytes per id: 2 or 4.
  std::size_t id_bytes() const { return wide_ ? 4 : 2; }
  std::vector<std::uint32_t> slice(std::size_t begin, std::size_t end) const;
  // A CRC-32 over the ids: a resumed run checks that its corpus is the one it began with.
  std::uint32_t fingerprint() const;

 private:
  bool wide_ = false;
  std::vector<std::uint16_t> narrow_ids_;
  std::vector<std::uint32_t> wide_ids_;
};

// Half-open ranges of ids: [train_begin, train_end) trains, [val_begin, val_end) validates.
struct CorpusSplit {
  std::size_t train_begin = 0, train_end = 0;
  std::size_t val_begin = 0, val_end = 0;
};

// The first (1 - val_fraction) of the ids train and the rest validate, as nanoGPT splits
// tinyshakespeare. val_fraction must be in [0, 1); throws UsageError otherwise.
CorpusSplit split_corpus(std::size_t id_count, double val_fraction);

// Counts the units of the files in order (first pass over the data).
UnitCounts count_units(const std::vector<std::string>& paths, const TextOptions& options,
                       const StopRequest* stop = nullptr);

// Encodes the files, concatenated in order, with a fixed vocabulary (second pass).
// Units the vocabulary lacks become Vocabulary::unknown_id.
TokenIds encode_files(const std::vector<std::string>& paths, const TextOptions& options, const Vocabulary& vocabulary,
                      const StopRequest* stop = nullptr);

// Both passes: builds the vocabulary from the files, then encodes them.
struct EncodedCorpus {
  Vocabulary vocabulary;
  TokenIds ids;
  std::uint64_t bytes = 0;  // input size on disk, for reports
};
// Each pass checks `stop` between chunks and ends with Interrupted when it is set.
EncodedCorpus load_corpus(const std::vector<std::string>& paths, const TextOptions& options,
                          std::uint64_t min_count = 1, const StopRequest* stop = nullptr);

}  // namespace charloom
