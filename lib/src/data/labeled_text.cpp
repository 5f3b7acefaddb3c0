// Labeled-text readers: TSV (either column order), CSV and JSONL, with errors naming lines.
#include "charloom/labeled_text.hpp"

#include <nlohmann/json.hpp>

#include "charloom/errors.hpp"
#include "data/csv_reader.hpp"
#include "io/file_reader.hpp"

namespace charloom {
namespace {

constexpr std::string_view accepted_labels = "use 0/1, -1/1, neg/pos or negative/positive";

class RecordBuilder {
 public:
  RecordBuilder(std::string_view source_name, const LabeledReaderOptions& options)
      : source_name_(source_name), options_(options) {}

  InputError error(std::size_t line, const std::string& what) const {
    return InputError(std::string(source_name_) + ":" + std::to_string(line) + ": " + what);
  }

  // Adds a record from text and the label's spelling (empty when there is no label column).
  void add(std::string text, std::optional<std::string_view> label_text, std::size_t line) {
    LabeledText record{std::move(text), std::nullopt, line};
    if (label_text) {
      record.label = parse_label(*label_text);
      if (!record.label)
        throw error(line, "unknown label '" + std::string(*label_text) + "'; " + std::string(accepted_labels));
    } else if (options_.require_label) {
      throw error(line, "missing label; " + std::string(accepted_labels));
    }
    records_.push_back(std::move(record));
  }

  std::vector<LabeledText> take() { return std::move(records_); }
  const LabeledReaderOptions& options() const { return options_; }

 private:
  std::string_view source_name_;
  const LabeledReaderOptions& options_;
  std::vector<LabeledText> records_;
};

// Calls `consume(line_text, line_number)` for each non-blank line, without its CR LF or LF.
template <typename Consume>
void for_each_line(std::string_view content, Consume consume) {
  std::size_t line_number = 0;
  while (!content.empty()) {
    ++line_number;
    const std::size_t end = content.find('\n');
    std::string_view line = content.substr(0, end);
    content = end == std::string_view::npos ? std::string_view{} : content.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    consume(line, line_number);
  }
}

void read_tsv(std::string_view content, RecordBuilder& builder) {
  const bool label_first = builder.options().columns == ColumnOrder::label_text;
  for_each_line(content, [&](std::string_view line, std::size_t number) {
    // Split at the tab next to the label, so the text itself may hold tabs.
    const std::size_t tab = label_first ? line.find('\t') : line.rfind('\t');
    if (tab == std::string_view::npos) {
      if (builder.options().require_label)
        throw builder.error(number, "no tab between label and text; each line needs " +
                                        std::string(label_first ? "LABEL<TAB>TEXT" : "TEXT<TAB>LABEL") +
                                        " (see --columns)");
      builder.add(std::string(line), std::nullopt, number);
      return;
    }
    std::string_view label = label_first ? line.substr(0, tab) : line.substr(tab + 1);
    std::string_view text = label_first ? line.substr(tab + 1) : line.substr(0, tab);
    builder.add(std::string(text), label, number);
  });
}

void read_csv(std::string_view content, std::string_view source_name, RecordBuilder& builder) {
  const bool label_first = builder.options().columns == ColumnOrder::label_text;
  for (auto& record : data::parse_csv(content, source_name)) {
    if (record.fields.size() == 1 && record.fields[0].empty()) continue;
    if (record.fields.size() < 2) {
      if (builder.options().require_label)
        throw builder.error(record.line, "expected 2 fields (" +
                                             std::string(label_first ? "label,text" : "text,label") +
                                             "), found 1; quote text that holds commas");
      builder.add(std::move(record.fields[0]), std::nullopt, record.line);
      continue;
    }
    if (record.fields.size() > 2)
      throw builder.error(record.line, "expected 2 fields, found " + std::to_string(record.fields.size()) +
                                           "; quote text that holds commas");
    std::string label = label_first ? record.fields[0] : record.fields[1];
    std::string text = std::move(label_first ? record.fields[1] : record.fields[0]);
    builder.add(std::move(text), label, record.line);
  }
}

void read_jsonl(std::string_view content, RecordBuilder& builder) {
  const LabeledReaderOptions& options = builder.options();
  for_each_line(content, [&](std::string_view line, std::size_t number) {
    nlohmann::json record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded()) throw builder.error(number, "not valid JSON; each line must be one JSON object");
    if (!record.is_object())
      throw builder.error(number, "not a JSON object; each line must be {\"text\": ..., \"label\": ...}");
    auto text = record.find(options.text_field);
    if (text == record.end() || !text->is_string())
      throw builder.error(number, "no string field \"" + options.text_field + "\"");
    auto label = record.find(options.label_field);
    if (label == record.end() || label->is_null()) {
      builder.add(text->get<std::string>(), std::nullopt, number);
      return;
    }
    std::string spelling;
    if (label->is_string()) {
      spelling = label->get<std::string>();
    } else if (label->is_number_integer()) {
      spelling = std::to_string(label->get<long long>());
    } else {
      spelling = label->dump();
    }
    builder.add(text->get<std::string>(), spelling, number);
  });
}

}  // namespace

std::vector<LabeledText> parse_labeled_text(std::string_view content, std::string_view source_name,
                                            const LabeledReaderOptions& options) {
  // Spreadsheet exports often start with a byte order mark; it is not part of the first field.
  constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";
  if (content.substr(0, byte_order_mark.size()) == byte_order_mark) content.remove_prefix(byte_order_mark.size());
  RecordBuilder builder(source_name, options);
  switch (options.format) {
    case LabeledFormat::tsv:
      read_tsv(content, builder);
      break;
    case LabeledFormat::csv:
      read_csv(content, source_name, builder);
      break;
    case LabeledFormat::jsonl:
      read_jsonl(content, builder);
      break;
  }
  return builder.take();
}

std::vector<LabeledText> read_labeled_text(const std::string& path, const LabeledReaderOptions& options) {
  return parse_labeled_text(io::read_file(path), path == "-" ? "<stdin>" : path, options);
}

}  // namespace charloom
