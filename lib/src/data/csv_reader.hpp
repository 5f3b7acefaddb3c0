// An RFC 4180 CSV parser fed in pieces: quoted fields may hold commas, doubled quotes and
// newlines, and a record may span any number of pieces.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace charloom::data {

struct CsvRecord {
  std::vector<std::string> fields;
  std::size_t line = 0;  // 1-based line where the record starts
};

class CsvParser {
 public:
  using Sink = std::function<void(CsvRecord&&)>;
  CsvParser(std::string_view source_name, Sink sink) : source_name_(source_name), sink_(std::move(sink)) {}

  // Throws InputError naming the line of stray text after a closing quote.
  void feed(std::string_view piece);
  // Ends the last record; throws InputError naming the line of an unterminated quote.
  void finish();

 private:
  void step(char c);
  void end_field();
  void end_record();

  std::string source_name_;
  Sink sink_;
  CsvRecord record_{{}, 1};
  std::string field_;
  std::size_t line_ = 1, quote_line_ = 0;
  bool quoted_ = false;         // inside a quoted field
  bool quote_pending_ = false;  // inside quotes, a '"' whose meaning the next character decides
  bool after_quote_ = false;    // a quoted field just closed: only , or a line end may follow
  bool field_started_ = false;  // the current record has content
  bool after_cr_ = false;       // a CR ended a record: a following LF belongs to it
};

// Parses every record of text held in memory.
std::vector<CsvRecord> parse_csv(std::string_view content, std::string_view source_name);

}  // namespace charloom::data
