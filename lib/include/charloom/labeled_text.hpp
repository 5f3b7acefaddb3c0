// Readers for labeled text (TSV, CSV, JSONL) as used to train and score sentiment models.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace charloom {

// lines: every line one unlabeled text, where a blank line is an empty text (an error).
enum class LabeledFormat { tsv, csv, jsonl, lines };
// Which column holds the label in TSV and CSV: SST puts it first.
enum class ColumnOrder { label_text, text_label };

LabeledFormat parse_labeled_format(std::string_view name);  // tsv, csv, jsonl or lines; UsageError on others
// The format a file name suggests: .csv, .jsonl or .json, and TSV for anything else.
LabeledFormat labeled_format_of(std::string_view path);
ColumnOrder parse_column_order(std::string_view name);  // "label,text" or "text,label"
// Whether a TSV or CSV file starts with a line of column names, as GLUE's SST-2 does
// ("sentence<TAB>label"). automatic skips a first record whose label field is no label and
// holds no digit (a mistyped label such as "2" is still an error).
enum class HeaderPolicy { automatic, yes, no };
HeaderPolicy parse_header_policy(std::string_view name);  // auto, yes or no

struct LabeledReaderOptions {
  LabeledFormat format = LabeledFormat::tsv;
  ColumnOrder columns = ColumnOrder::label_text;
  HeaderPolicy header = HeaderPolicy::automatic;  // TSV and CSV
  bool require_label = true;
  // Also take a label that is a probability of the positive class, a number from 0 to 1 such
  // as "0.83" (a teacher's scores, for distillation): a soft label.
  bool soft_labels = false;
  std::string text_field = "text";    // JSONL
  std::string label_field = "label";  // JSONL
};

struct LabeledText {
  std::string text;
  std::optional<int> label;  // 1 positive, 0 negative
  std::size_t line = 0;      // 1-based line where the record starts
  std::string raw;           // JSONL only: the record's line as read, for callers that keep its other fields
  // A soft label as given, P(positive); `label` is then 1 from 0.5 up, 0 below.
  std::optional<double> soft_label;
};

// Maps 0/1, -1/1, neg/pos and negative/positive (any case) to 0 or 1; nullopt otherwise.
std::optional<int> parse_label(std::string_view text);
// A soft label's spelling: a decimal number from 0 to 1; nullopt otherwise.
std::optional<double> parse_soft_label(std::string_view text);

// Streams a file's records ("-" reads stdin) to `consume` in order, holding one piece of the
// file and one record at a time, so that a file of any size reads in little memory. Errors as
// read_labeled_text's.
using LabeledSink = std::function<void(LabeledText&& record)>;
void for_each_labeled_text(const std::string& path, const LabeledReaderOptions& options, const LabeledSink& consume);

// Reads every record of a file ("-" reads stdin). Blank lines are skipped. A missing or
// unknown label, a missing column or malformed JSON throws InputError naming FILE:LINE.
std::vector<LabeledText> read_labeled_text(const std::string& path, const LabeledReaderOptions& options);
// The same over text already in memory; source_name appears in errors.
std::vector<LabeledText> parse_labeled_text(std::string_view content, std::string_view source_name,
                                            const LabeledReaderOptions& options);

}  // namespace charloom
