// Strict UTF-8 decoding of a byte stream that arrives in pieces, with precise error positions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "charloom/text.hpp"

namespace charloom::text {

class Utf8Decoder {
 public:
  Utf8Decoder(InvalidUtf8Policy policy, std::string source_name);

  // Appends the code points of every complete sequence to `out`; an incomplete sequence at
  // the end waits for the next piece. Drops a BOM at byte offset 0.
  void decode(std::string_view bytes, std::vector<char32_t>& out);
  // The input has ended: a sequence still incomplete is invalid.
  void finish(std::vector<char32_t>& out);

  std::uint64_t replacements() const { return replacements_; }

 private:
  void decode_buffer(const std::uint8_t* bytes, std::size_t length, bool final, std::vector<char32_t>& out);
  [[noreturn]] void fail(const std::uint8_t* bytes, std::size_t available) const;
  void advance_position(char32_t code_point);

  InvalidUtf8Policy policy_;
  std::string source_name_;
  std::string carry_;  // the start of a sequence split across pieces (at most 3 bytes)
  std::uint64_t byte_offset_ = 0;
  std::uint64_t line_ = 1, column_ = 1;
  std::uint64_t replacements_ = 0;
};

// Why the bytes at `bytes` do not start a valid sequence, e.g. "overlong encoding".
std::string describe_invalid_utf8(const std::uint8_t* bytes, std::size_t available);

// Appends the UTF-8 encoding of a valid code point.
void append_utf8(std::string& dst, char32_t code_point);

}  // namespace charloom::text
