// Scoring text with a language model: how many nats (and bits) per unit it costs.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "charloom/corpus.hpp"
#include "charloom/language_model.hpp"

namespace charloom {

struct TextScore {
  std::uint64_t units_scored = 0;  // units predicted
  double nats = 0.0;               // summed -log p of those units
  double nats_per_unit() const { return units_scored == 0 ? 0.0 : nats / static_cast<double>(units_scored); }
  double bits_per_unit() const { return nats_per_unit() / std::log(2.0); }
  double perplexity() const { return std::exp(nats_per_unit()); }
};

// Scores ids [begin, end) as training validates: cut into at most `streams` contiguous
// streams, each at least `steps` units long (one for a shorter text) and from the zero state,
// run `steps` units at a time; every unit but each stream's first is predicted, and up to
// streams - 1 units at the end go unscored.
TextScore score_span(LanguageModel& model, const TokenIds& ids, std::size_t begin, std::size_t end, int streams,
                     int steps);

// Scores each sequence on its own from the zero state: its first unit is given, every later
// one predicted. Runs `batch` sequences at a time; the result is in input order.
std::vector<TextScore> score_sequences(LanguageModel& model, const std::vector<std::vector<std::uint32_t>>& sequences,
                                       int batch);

// One line of a text, scored alone from the zero state: its first unit given, every later one
// predicted. The newline ending it is not part of it.
struct LineScore {
  std::string file;
  std::size_t line = 0;             // 1-based, within its file
  std::size_t units = 0;            // the line's units
  std::uint64_t unknown_units = 0;  // of them, units the model never saw (scored as <unk>)
  TextScore score;
};

// Scores every line of files on its own, in blocks of lines, so that a huge input never sits
// in memory whole; `each` hears every line in order. An empty line counts (nothing predicted);
// an empty tail after a file's last newline does not.
class LineScorer {
 public:
  LineScorer(LanguageModel& model, int batch, std::function<void(const LineScore&)> each);
  // Reads a file ("-" is stdin) with the model's text options.
  void score_file(const std::string& path);

 private:
  void unit(std::string_view unit);
  void end_line();
  void flush();

  LanguageModel& model_;
  int batch_;
  std::function<void(const LineScore&)> each_;
  std::string file_;
  std::size_t first_line_ = 1;  // the line number of lines_[0]
  std::vector<std::vector<std::uint32_t>> lines_;
  std::vector<std::uint64_t> unknown_;
  std::vector<std::uint32_t> current_;
  std::uint64_t current_unknown_ = 0;
};

}  // namespace charloom
