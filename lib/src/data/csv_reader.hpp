// An RFC 4180 CSV parser: quoted fields may hold commas, doubled quotes and newlines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace charloom::data {

struct CsvRecord {
  std::vector<std::string> fields;
  std::size_t line = 0;  // 1-based line where the record starts
};

// Parses every record; throws InputError naming the line of an unterminated quote or of
// stray text after a closing quote.
std::vector<CsvRecord> parse_csv(std::string_view content, std::string_view source_name);

}  // namespace charloom::data
