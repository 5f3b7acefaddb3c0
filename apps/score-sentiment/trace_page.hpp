// The --trace outputs of score-sentiment: a self-contained HTML page that colours every unit
// by the running score after it, or the same data as JSONL.
#pragma once

#include <string>
#include <vector>

namespace charloom {

struct TracedText {
  std::size_t line = 0;
  std::vector<std::string> units;
  std::vector<double> scores;  // P(positive) after each unit
};

// The page: one block per text, each unit on a background from red (0) through white (0.5)
// to green (1), its score in a tooltip; no scripts, styles inline, nothing fetched.
std::string trace_html(const std::vector<TracedText>& texts, const std::string& model_name);

// One JSON object per text: line, units, scores.
std::string trace_jsonl(const std::vector<TracedText>& texts);

}  // namespace charloom
