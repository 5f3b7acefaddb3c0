// Strict UTF-8 decoding through ICU's U8_NEXT, which rejects overlong forms, surrogates and
// code points above U+10FFFF and, under the replace policy, replaces each maximal ill-formed
// subpart with one U+FFFD as the Unicode standard recommends.
#include "text/utf8_decoder.hpp"

#include <unicode/utf8.h>

#include <cstdio>

#include "charloom/errors.hpp"

namespace charloom::text {
namespace {

constexpr char32_t byte_order_mark = 0xFEFF;
constexpr char32_t replacement_character = 0xFFFD;

std::string hex_byte(std::uint8_t byte) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02X", byte);
  return buffer;
}

bool is_continuation(std::uint8_t byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

std::string describe_invalid_utf8(const std::uint8_t* bytes, std::size_t available) {
  const std::uint8_t lead = bytes[0];
  const bool has_second = available > 1;
  const std::uint8_t second = has_second ? bytes[1] : 0;
  if (is_continuation(lead)) return "unexpected continuation byte " + hex_byte(lead);
  if (lead == 0xC0 || lead == 0xC1) return "overlong encoding (lead byte " + hex_byte(lead) + ")";
  if (lead >= 0xF5) return "byte " + hex_byte(lead) + " is above 0xF4 and never valid";
  if (has_second && is_continuation(second)) {
    if (lead == 0xE0 && second < 0xA0) return "overlong encoding (bytes 0xE0 " + hex_byte(second) + ")";
    if (lead == 0xF0 && second < 0x90) return "overlong encoding (bytes 0xF0 " + hex_byte(second) + ")";
    if (lead == 0xED && second >= 0xA0) return "UTF-16 surrogate (bytes 0xED " + hex_byte(second) + ")";
    if (lead == 0xF4 && second >= 0x90) return "code point above U+10FFFF (bytes 0xF4 " + hex_byte(second) + ")";
  }
  const int expected = U8_COUNT_TRAIL_BYTES(lead);
  return "truncated sequence (lead byte " + hex_byte(lead) + " needs " + std::to_string(expected) +
         " continuation byte" + (expected == 1 ? "" : "s") + ")";
}

void append_utf8(std::string& dst, char32_t code_point) {
  std::uint8_t buffer[U8_MAX_LENGTH];
  std::int32_t length = 0;
  U8_APPEND_UNSAFE(buffer, length, static_cast<UChar32>(code_point));
  dst.append(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(length));
}

Utf8Decoder::Utf8Decoder(InvalidUtf8Policy policy, std::string source_name)
    : policy_(policy), source_name_(std::move(source_name)) {}

void Utf8Decoder::decode(std::string_view bytes, std::vector<char32_t>& out) {
  if (carry_.empty()) {
    decode_buffer(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), false, out);
    return;
  }
  // Rare: a sequence was split between pieces; join it with this piece.
  std::string joined = std::move(carry_);
  carry_.clear();
  joined.append(bytes);
  decode_buffer(reinterpret_cast<const std::uint8_t*>(joined.data()), joined.size(), false, out);
}

void Utf8Decoder::finish(std::vector<char32_t>& out) {
  std::string rest = std::move(carry_);
  carry_.clear();
  decode_buffer(reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size(), true, out);
}

void Utf8Decoder::advance_position(char32_t code_point) {
  if (code_point == U'\n') {
    ++line_;
    column_ = 1;
  } else {
    ++column_;
  }
}

void Utf8Decoder::fail(const std::uint8_t* bytes, std::size_t available) const {
  throw InputError(source_name_ + ":" + std::to_string(line_) + ":" + std::to_string(column_) +
                   ": invalid UTF-8 at byte offset " + std::to_string(byte_offset_) + ": " +
                   describe_invalid_utf8(bytes, available) +
                   "; fix the text or pass --invalid-utf8=replace to read it as U+FFFD");
}

void Utf8Decoder::decode_buffer(const std::uint8_t* bytes, std::size_t length, bool final, std::vector<char32_t>& out) {
  std::size_t i = 0;
  while (i < length) {
    const std::uint8_t lead = bytes[i];
    if (lead < 0x80) {  // ASCII, the common case
      out.push_back(lead);
      advance_position(lead);
      ++byte_offset_;
      ++i;
      continue;
    }
    const std::size_t needed = 1 + static_cast<std::size_t>(U8_COUNT_TRAIL_BYTES(lead));
    if (!final && i + needed > length) {
      carry_.assign(reinterpret_cast<const char*>(bytes + i), length - i);
      return;
    }
    // U8_NEXT indexes with int32_t: decode from a window that fits.
    const std::int32_t window = static_cast<std::int32_t>(std::min<std::size_t>(length - i, 4));
    std::int32_t consumed = 0;
    UChar32 code_point = 0;
    U8_NEXT(bytes + i, consumed, window, code_point);
    if (code_point < 0) {
      if (policy_ == InvalidUtf8Policy::error) fail(bytes + i, length - i);
      code_point = replacement_character;
      ++replacements_;
    }
    if (!(byte_offset_ == 0 && code_point == static_cast<UChar32>(byte_order_mark))) {
      out.push_back(static_cast<char32_t>(code_point));
      advance_position(static_cast<char32_t>(code_point));
    }
    byte_offset_ += static_cast<std::uint64_t>(consumed);
    i += static_cast<std::size_t>(consumed);
  }
}

}  // namespace charloom::text
