// CSV parsing as a small state machine over the whole text, tracking line numbers.
#include "data/csv_reader.hpp"

#include "charloom/errors.hpp"

namespace charloom::data {

std::vector<CsvRecord> parse_csv(std::string_view content, std::string_view source_name) {
  std::vector<CsvRecord> records;
  CsvRecord record;
  std::string field;
  std::size_t line = 1;
  record.line = 1;
  bool quoted = false;         // inside a quoted field
  bool after_quote = false;    // a quoted field just closed: only , or a line end may follow
  bool field_started = false;  // the current record has content
  std::size_t quote_line = 0;

  auto error = [&](std::size_t at, const std::string& what) {
    return InputError(std::string(source_name) + ":" + std::to_string(at) + ": " + what);
  };
  auto end_field = [&] {
    record.fields.push_back(std::move(field));
    field.clear();
    after_quote = false;
  };
  auto end_record = [&] {
    if (field_started || !record.fields.empty()) {
      end_field();
      records.push_back(std::move(record));
    }
    record = CsvRecord{};
    record.line = line;
    field_started = false;
  };

  for (std::size_t i = 0; i < content.size(); ++i) {
    const char c = content[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < content.size() && content[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
          after_quote = true;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == ',') {
      end_field();
      field_started = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < content.size() && content[i + 1] == '\n') ++i;
      ++line;
      end_record();
    } else if (after_quote) {
      throw error(line, "text after a closing quote; double a quote inside a quoted field (\"\")");
    } else if (c == '"' && field.empty()) {
      quoted = true;
      field_started = true;
      quote_line = line;
    } else {
      field.push_back(c);
      field_started = true;
    }
  }
  if (quoted) throw error(quote_line, "quoted field is never closed; add the closing quote");
  end_record();
  return records;
}

}  // namespace charloom::data
