// Label spellings and reader option names for labeled text.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <string>

#include "charloom/errors.hpp"
#include "charloom/labeled_text.hpp"

namespace charloom {

std::optional<int> parse_label(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::array<std::string_view, 4> negatives{"0", "-1", "neg", "negative"};
  static constexpr std::array<std::string_view, 3> positives{"1", "pos", "positive"};
  if (std::find(negatives.begin(), negatives.end(), lower) != negatives.end()) return 0;
  if (std::find(positives.begin(), positives.end(), lower) != positives.end()) return 1;
  return std::nullopt;
}

std::optional<double> parse_soft_label(std::string_view text) {
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0.0 || value > 1.0)
    return std::nullopt;
  return value;
}

LabeledFormat parse_labeled_format(std::string_view name) {
  if (name == "tsv") return LabeledFormat::tsv;
  if (name == "csv") return LabeledFormat::csv;
  if (name == "jsonl") return LabeledFormat::jsonl;
  if (name == "lines") return LabeledFormat::lines;
  throw UsageError("unknown text format '" + std::string(name) + "'; use tsv, csv, jsonl or lines");
}

LabeledFormat labeled_format_of(std::string_view path) {
  if (path.ends_with(".csv")) return LabeledFormat::csv;
  if (path.ends_with(".jsonl") || path.ends_with(".json")) return LabeledFormat::jsonl;
  return LabeledFormat::tsv;
}

ColumnOrder parse_column_order(std::string_view name) {
  if (name == "label,text") return ColumnOrder::label_text;
  if (name == "text,label") return ColumnOrder::text_label;
  throw UsageError("unknown --columns '" + std::string(name) + "'; use label,text or text,label");
}

}  // namespace charloom
