// Unit names for model files: each must decode to exactly one unit of the file's unit kind.
#include "text/unit_names.hpp"

#include <cstdio>

#include "charloom/errors.hpp"

namespace charloom::text {
namespace {

std::string quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string unit_name(std::string_view unit_bytes, TextUnit unit) {
  if (unit == TextUnit::byte && unit_bytes.size() == 1 && static_cast<unsigned char>(unit_bytes[0]) >= 0x80) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "<0x%02X>", static_cast<unsigned char>(unit_bytes[0]));
    return buffer;
  }
  return std::string(unit_bytes);
}

std::string unit_bytes_from_name(std::string_view name, TextUnit unit) {
  if (unit == TextUnit::byte) {
    if (name.size() == 1 && static_cast<unsigned char>(name[0]) < 0x80) return std::string(name);
    if (name.size() == 6 && name.substr(0, 3) == "<0x" && name[5] == '>') {
      const int high = hex_digit(name[3]), low = hex_digit(name[4]);
      if (high >= 8 && low >= 0) return std::string(1, static_cast<char>(high * 16 + low));
    }
    throw InputError("vocabulary entry " + quoted(name) + " is not a byte unit (an ASCII character or <0x80>..<0xFF>)");
  }
  // Code point and grapheme names must be well-formed text of the right length.
  const TextOptions strict{TextUnit::grapheme, Normalization::none, InvalidUtf8Policy::error, NewlinePolicy::keep};
  std::vector<std::string> graphemes;
  try {
    graphemes = split_units(name, strict, "vocabulary entry");
  } catch (const InputError& error) {
    throw InputError(std::string("vocabulary entry is not valid UTF-8: ") + error.what());
  }
  if (graphemes.size() != 1)
    throw InputError("vocabulary entry " + quoted(name) + " is " + std::to_string(graphemes.size()) +
                     " graphemes; each entry must be one unit");
  if (unit == TextUnit::codepoint) {
    TextOptions by_code_point = strict;
    by_code_point.unit = TextUnit::codepoint;
    if (split_units(name, by_code_point).size() != 1)
      throw InputError("vocabulary entry " + quoted(name) +
                       " holds several code points; a codepoint vocabulary needs one each");
  }
  return std::string(name);
}

}  // namespace charloom::text
