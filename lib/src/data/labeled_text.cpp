// Labeled-text readers: TSV (either column order), CSV and JSONL, streamed in pieces, with
// errors naming lines.
#include "charloom/labeled_text.hpp"

#include <nlohmann/json.hpp>

#include "charloom/errors.hpp"
#include "data/csv_reader.hpp"
#include "io/file_reader.hpp"

namespace charloom {
namespace {

constexpr std::string_view accepted_labels = "use 0/1, -1/1, neg/pos or negative/positive";

// Turns each raw record into a LabeledText for the sink, checking its label.
class RecordBuilder {
 public:
  RecordBuilder(std::string_view source_name, const LabeledReaderOptions& options, const LabeledSink& sink)
      : source_name_(source_name), options_(options), sink_(sink) {}

  InputError error(std::size_t line, const std::string& what) const {
    return InputError(source_name_ + ":" + std::to_string(line) + ": " + what);
  }

  // Adds a record from text and the label's spelling (none when there is no label column).
  void add(std::string text, std::optional<std::string_view> label_text, std::size_t line, std::string_view raw = {}) {
    const bool first = first_;
    first_ = false;
    if (first && is_header(label_text)) return;
    LabeledText record{std::move(text), std::nullopt, line, std::string(raw), std::nullopt};
    if (label_text) {
      record.label = parse_label(*label_text);
      if (!record.label) take_soft_label(*label_text, record);
      if (!record.label)
        throw error(line, "unknown label '" + std::string(*label_text) + "'; " + std::string(accepted_labels) +
                              label_hint(*label_text, first));
    } else if (options_.require_label) {
      throw error(line, "missing label; " + std::string(accepted_labels));
    }
    sink_(std::move(record));
  }

  const LabeledReaderOptions& options() const { return options_; }
  const std::string& source_name() const { return source_name_; }

 private:
  // What an unknown label may have been meant as.
  static std::string label_hint(std::string_view spelling, bool first) {
    if (parse_soft_label(spelling)) return " (a probability is a soft label, which training takes with --soft-labels)";
    return first ? " (or pass --header yes if this line names the columns)" : "";
  }

  void take_soft_label(std::string_view spelling, LabeledText& record) const {
    if (!options_.soft_labels) return;
    record.soft_label = parse_soft_label(spelling);
    if (record.soft_label) record.label = *record.soft_label >= 0.5 ? 1 : 0;
  }

  bool is_header(std::optional<std::string_view> label_text) const {
    if (options_.format == LabeledFormat::jsonl || options_.format == LabeledFormat::lines ||
        options_.header == HeaderPolicy::no)
      return false;
    if (options_.header == HeaderPolicy::yes) return true;
    return label_text && !parse_label(*label_text) && label_text->find_first_of("0123456789") == std::string_view::npos;
  }

  std::string source_name_;
  const LabeledReaderOptions& options_;
  const LabeledSink& sink_;
  bool first_ = true;
};

void add_tsv(std::string_view line, std::size_t number, RecordBuilder& builder) {
  const bool label_first = builder.options().columns == ColumnOrder::label_text;
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
  const std::string_view label = label_first ? line.substr(0, tab) : line.substr(tab + 1);
  const std::string_view text = label_first ? line.substr(tab + 1) : line.substr(0, tab);
  builder.add(std::string(text), label, number);
}

void add_csv(data::CsvRecord&& record, RecordBuilder& builder) {
  const bool label_first = builder.options().columns == ColumnOrder::label_text;
  if (record.fields.size() == 1 && record.fields[0].empty()) return;
  if (record.fields.size() < 2) {
    if (builder.options().require_label)
      throw builder.error(record.line, "expected 2 fields (" + std::string(label_first ? "label,text" : "text,label") +
                                           "), found 1; quote text that holds commas");
    builder.add(std::move(record.fields[0]), std::nullopt, record.line);
    return;
  }
  if (record.fields.size() > 2)
    throw builder.error(record.line, "expected 2 fields, found " + std::to_string(record.fields.size()) +
                                         "; quote text that holds commas");
  const std::string label = label_first ? record.fields[0] : record.fields[1];
  builder.add(std::move(label_first ? record.fields[1] : record.fields[0]), label, record.line);
}

void add_jsonl(std::string_view line, std::size_t number, RecordBuilder& builder) {
  const LabeledReaderOptions& options = builder.options();
  const nlohmann::json record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded()) throw builder.error(number, "not valid JSON; each line must be one JSON object");
  if (!record.is_object())
    throw builder.error(number, "not a JSON object; each line must be {\"text\": ..., \"label\": ...}");
  const auto text = record.find(options.text_field);
  if (text == record.end() || !text->is_string())
    throw builder.error(number, "no string field \"" + options.text_field + "\"");
  const auto label = record.find(options.label_field);
  if (label == record.end() || label->is_null()) {
    builder.add(text->get<std::string>(), std::nullopt, number, line);
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
  builder.add(text->get<std::string>(), spelling, number, line);
}

void add_line(std::string_view line, std::size_t number, RecordBuilder& builder) {
  if (line.find_first_not_of(" \t") == std::string_view::npos)
    throw builder.error(number, "the text is empty; remove the line or give it text");
  builder.add(std::string(line), std::nullopt, number);
}

// Cuts pieces of a file into lines (without CR LF or LF), skipping blank ones, for TSV and JSONL.
class LineSplitter {
 public:
  // keep_blank: blank lines reach `consume` too.
  LineSplitter(bool keep_blank, std::function<void(std::string_view, std::size_t)> consume)
      : keep_blank_(keep_blank), consume_(std::move(consume)) {}
  void feed(std::string_view piece) {
    while (!piece.empty()) {
      const std::size_t end = piece.find('\n');
      if (end == std::string_view::npos) {
        partial_.append(piece);
        return;
      }
      partial_.append(piece.substr(0, end));
      piece.remove_prefix(end + 1);
      emit();
    }
  }
  void finish() {
    if (!partial_.empty()) emit();
  }

 private:
  void emit() {
    ++line_;
    std::string_view line = partial_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (keep_blank_ || line.find_first_not_of(" \t") != std::string_view::npos) consume_(line, line_);
    partial_.clear();
  }
  bool keep_blank_;
  std::function<void(std::string_view, std::size_t)> consume_;
  std::string partial_;
  std::size_t line_ = 0;
};

// Reads a whole source through `each_piece`, which hands every piece of it in order.
void read_records(const std::function<void(const std::function<void(std::string_view)>&)>& each_piece,
                  std::string_view source_name, const LabeledReaderOptions& options, const LabeledSink& consume) {
  RecordBuilder builder(source_name, options, consume);
  data::CsvParser csv(source_name, [&](data::CsvRecord&& record) { add_csv(std::move(record), builder); });
  LineSplitter lines(options.format == LabeledFormat::lines, [&](std::string_view line, std::size_t number) {
    if (options.format == LabeledFormat::tsv) add_tsv(line, number, builder);
    if (options.format == LabeledFormat::jsonl) add_jsonl(line, number, builder);
    if (options.format == LabeledFormat::lines) add_line(line, number, builder);
  });
  bool first_piece = true;
  each_piece([&](std::string_view piece) {
    // Spreadsheet exports often start with a byte order mark; it is not part of the first field.
    constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";
    if (first_piece && piece.substr(0, byte_order_mark.size()) == byte_order_mark)
      piece.remove_prefix(byte_order_mark.size());
    first_piece = false;
    if (options.format == LabeledFormat::csv) {
      csv.feed(piece);
    } else {
      lines.feed(piece);
    }
  });
  if (options.format == LabeledFormat::csv) {
    csv.finish();
  } else {
    lines.finish();
  }
}

}  // namespace

HeaderPolicy parse_header_policy(std::string_view name) {
  if (name == "auto") return HeaderPolicy::automatic;
  if (name == "yes") return HeaderPolicy::yes;
  if (name == "no") return HeaderPolicy::no;
  throw UsageError("--header must be auto, yes or no, got '" + std::string(name) + "'");
}

void for_each_labeled_text(const std::string& path, const LabeledReaderOptions& options, const LabeledSink& consume) {
  read_records([&](const auto& piece) { io::read_chunks(path, piece); }, path == "-" ? "<stdin>" : path, options,
               consume);
}

std::vector<LabeledText> parse_labeled_text(std::string_view content, std::string_view source_name,
                                            const LabeledReaderOptions& options) {
  std::vector<LabeledText> records;
  read_records([&](const auto& piece) { piece(content); }, source_name, options,
               [&](LabeledText&& record) { records.push_back(std::move(record)); });
  return records;
}

std::vector<LabeledText> read_labeled_text(const std::string& path, const LabeledReaderOptions& options) {
  std::vector<LabeledText> records;
  for_each_labeled_text(path, options, [&](LabeledText&& record) { records.push_back(std::move(record)); });
  return records;
}

}  // namespace charloom
