// CSV parsing as a small state machine, one character at a time, tracking line numbers.
#include "data/csv_reader.hpp"

#include "charloom/errors.hpp"

namespace charloom::data {

void CsvParser::end_field() {
  record_.fields.push_back(std::move(field_));
  field_.clear();
  after_quote_ = false;
}

void CsvParser::end_record() {
  if (field_started_ || !record_.fields.empty()) {
    end_field();
    sink_(std::move(record_));
  }
  record_ = CsvRecord{{}, line_};
  field_started_ = false;
}

void CsvParser::feed(std::string_view piece) {
  for (char c : piece) step(c);
}

void CsvParser::step(char c) {
  if (after_cr_) {
    after_cr_ = false;
    if (c == '\n') return;  // the LF of a CR LF
  }
  if (quote_pending_) {
    quote_pending_ = false;
    if (c == '"') {  // a doubled quote: one quote in the text
      field_.push_back('"');
      return;
    }
    quoted_ = false;
    after_quote_ = true;
  }
  if (quoted_) {
    if (c == '"') {
      quote_pending_ = true;
    } else {
      if (c == '\n') ++line_;
      field_.push_back(c);
    }
    return;
  }
  if (c == ',') {
    end_field();
    field_started_ = true;
  } else if (c == '\n' || c == '\r') {
    after_cr_ = c == '\r';
    ++line_;
    end_record();
  } else if (after_quote_) {
    throw InputError(source_name_ + ":" + std::to_string(line_) +
                     ": text after a closing quote; double a quote inside a quoted field (\"\")");
  } else if (c == '"' && field_.empty()) {
    quoted_ = true;
    field_started_ = true;
    quote_line_ = line_;
  } else {
    field_.push_back(c);
    field_started_ = true;
  }
}

void CsvParser::finish() {
  if (quote_pending_) {
    quote_pending_ = false;
    quoted_ = false;
    after_quote_ = true;
  }
  if (quoted_)
    throw InputError(source_name_ + ":" + std::to_string(quote_line_) +
                     ": quoted field is never closed; add the closing quote");
  end_record();
}

std::vector<CsvRecord> parse_csv(std::string_view content, std::string_view source_name) {
  std::vector<CsvRecord> records;
  CsvParser parser(source_name, [&](CsvRecord&& record) { records.push_back(std::move(record)); });
  parser.feed(content);
  parser.finish();
  return records;
}

}  // namespace charloom::data
