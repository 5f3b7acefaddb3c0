// Strict UTF-8: every invalid form with its offset, BOM, NUL, CRLF and very long lines.
#include <doctest/doctest.h>

#include <string>

#include "charloom/errors.hpp"
#include "charloom/text.hpp"
#include "test_helpers.hpp"

using namespace charloom;

namespace {

// The error message for `bytes`, or "" when they decode.
std::string error_for(const std::string& bytes) {
  try {
    split_units(bytes, TextOptions{}, "input.txt");
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

std::vector<std::string> units_of(const std::string& bytes, TextOptions options = {}) {
  return split_units(bytes, options, "input.txt");
}

}  // namespace

TEST_CASE("each invalid UTF-8 form is refused with its byte offset, line and column") {
  struct Case {
    std::string bytes;
    std::string position;  // "line:column: ... byte offset N"
    std::string offset;
    std::string reason;
  };
  const Case cases[] = {
      {"ab\x80z", "input.txt:1:3:", "byte offset 2", "unexpected continuation byte 0x80"},
      {"a\xC0\xAF", "input.txt:1:2:", "byte offset 1", "overlong encoding (lead byte 0xC0)"},
      {"a\xC1\xBF", "input.txt:1:2:", "byte offset 1", "overlong encoding (lead byte 0xC1)"},
      {"x\nab\xE0\x80\xAF", "input.txt:2:3:", "byte offset 4", "overlong encoding (bytes 0xE0 0x80)"},
      {"\xF0\x80\x80\xAF", "input.txt:1:1:", "byte offset 0", "overlong encoding (bytes 0xF0 0x80)"},
      {"ok\xED\xA0\x80", "input.txt:1:3:", "byte offset 2", "UTF-16 surrogate (bytes 0xED 0xA0)"},
      {"\xED\xBF\xBF", "input.txt:1:1:", "byte offset 0", "UTF-16 surrogate"},
      {"\xF4\x90\x80\x80", "input.txt:1:1:", "byte offset 0", "code point above U+10FFFF"},
      {"a\xF5\x80\x80\x80", "input.txt:1:2:", "byte offset 1", "byte 0xF5 is above 0xF4"},
      {"a\xFF", "input.txt:1:2:", "byte offset 1", "byte 0xFF is above 0xF4"},
      {"abc\xE2\x82", "input.txt:1:4:", "byte offset 3", "truncated sequence (lead byte 0xE2 needs 2"},
      {"\xC3", "input.txt:1:1:", "byte offset 0", "truncated sequence (lead byte 0xC3 needs 1"},
      {"\xE2\x82z", "input.txt:1:1:", "byte offset 0", "truncated sequence"},
      {"\xF0\x9F\x98", "input.txt:1:1:", "byte offset 0", "truncated sequence"},
      // Offsets count bytes, columns count code points: é is two bytes, one column.
      {"\xC3\xA9\xC3\xA9\x80", "input.txt:1:3:", "byte offset 4", "unexpected continuation"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.reason);
    const std::string message = error_for(c.bytes);
    CHECK(message.rfind(c.position, 0) == 0);
    CHECK(message.find(c.offset) != std::string::npos);
    CHECK(message.find(c.reason) != std::string::npos);
    CHECK(message.find("--invalid-utf8=replace") != std::string::npos);
  }
}

TEST_CASE("valid edge code points decode") {
  CHECK(units_of("\x7F").size() == 1);
  CHECK(units_of("\xC2\x80").size() == 1);
  CHECK(units_of("\xED\x9F\xBF") == std::vector<std::string>{"\xED\x9F\xBF"});          // U+D7FF
  CHECK(units_of("\xEE\x80\x80") == std::vector<std::string>{"\xEE\x80\x80"});          // U+E000
  CHECK(units_of("\xF4\x8F\xBF\xBF") == std::vector<std::string>{"\xF4\x8F\xBF\xBF"});  // U+10FFFF
}

TEST_CASE("the replace policy puts one U+FFFD per maximal ill-formed subpart") {
  TextOptions options;
  options.invalid_utf8 = InvalidUtf8Policy::replace;
  const std::string fffd = "\xEF\xBF\xBD";
  // The Unicode standard's example (table 3-8): 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
  std::vector<std::string> units = units_of("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", options);
  std::vector<std::string> expected{"a", fffd, fffd, fffd, "b", fffd, "c", fffd, fffd, "d"};
  CHECK(units == expected);
  Tokenizer tokenizer(options, "t", [](std::string_view) {});
  tokenizer.feed("\xC0\xAFz\xED\xA0\x80");
  tokenizer.finish();
  CHECK(tokenizer.replacements() == 5);
}

TEST_CASE("a BOM at the start is dropped, anywhere else it is kept") {
  CHECK(units_of("\xEF\xBB\xBFhi") == std::vector<std::string>{"h", "i"});
  CHECK(units_of("h\xEF\xBB\xBFi") == std::vector<std::string>{"h", "\xEF\xBB\xBF", "i"});
}

TEST_CASE("NUL and control characters are units") {
  const std::string text("a\0b\x01\x1B\x7F", 6);
  CHECK(units_of(text) == std::vector<std::string>{"a", std::string(1, '\0'), "b", "\x01", "\x1B", "\x7F"});
}

TEST_CASE("CRLF is kept unless --newlines=lf") {
  CHECK(units_of("a\r\nb\rc") == std::vector<std::string>{"a", "\r", "\n", "b", "\r", "c"});
  TextOptions lf;
  lf.newlines = NewlinePolicy::lf;
  CHECK(units_of("a\r\nb\rc\r", lf) == std::vector<std::string>{"a", "\n", "b", "\r", "c", "\r"});
  // A CR LF pair split between two pieces of input still becomes one LF.
  std::vector<std::string> units;
  Tokenizer tokenizer(lf, "t", [&](std::string_view unit) { units.emplace_back(unit); });
  tokenizer.feed("x\r");
  tokenizer.feed("\ny");
  tokenizer.finish();
  CHECK(units == std::vector<std::string>{"x", "\n", "y"});
  // Graphemes keep CR LF together as one unit (Unicode rule GB3).
  CHECK(units_of("a\r\nb", testing::with_unit(TextUnit::grapheme)) == std::vector<std::string>{"a", "\r\n", "b"});
}

TEST_CASE("splitting the input anywhere gives the same units") {
  const std::string text =
      "Cafe\xCC\x81 \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7 "
      "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7 \xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB\r\n";
  for (TextUnit unit : {TextUnit::codepoint, TextUnit::grapheme, TextUnit::byte}) {
    const TextOptions options = testing::with_unit(unit);
    const std::vector<std::string> whole = units_of(text, options);
    for (std::size_t step : {1, 2, 3, 5}) {
      std::vector<std::string> pieces;
      Tokenizer tokenizer(options, "t", [&](std::string_view u) { pieces.emplace_back(u); });
      for (std::size_t at = 0; at < text.size(); at += step) tokenizer.feed(std::string_view(text).substr(at, step));
      tokenizer.finish();
      CAPTURE(step);
      CHECK(pieces == whole);
    }
  }
}

TEST_CASE("a line longer than 10 MB streams through with the right units and error position") {
  // 10.5 MB of one line with multi-byte characters, fed in 1 MB chunks through a file.
  std::string line;
  const std::string pattern = "ab\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 ";  // a b é € 😀 space
  while (line.size() < 10'500'000) line += pattern;
  const std::size_t repeats = line.size() / pattern.size();
  {
    testing::TempFile file(line);
    std::uint64_t count = 0, euros = 0;
    tokenize_file(file.path(), TextOptions{}, [&](std::string_view unit) {
      ++count;
      if (unit == "\xE2\x82\xAC") ++euros;
    });
    CHECK(count == repeats * 6);
    CHECK(euros == repeats);
  }
  // An error at the end of the long line still reports the exact column and offset.
  line += "\xFF";
  testing::TempFile bad(line);
  std::string message;
  try {
    tokenize_file(bad.path(), TextOptions{}, [](std::string_view) {});
  } catch (const InputError& error) {
    message = error.what();
  }
  CHECK(message.find(":1:" + std::to_string(repeats * 6 + 1) + ":") != std::string::npos);
  CHECK(message.find("byte offset " + std::to_string(line.size() - 1)) != std::string::npos);
}

TEST_CASE("an invalid sequence split across file chunks is still found") {
  // 1 MB chunks: put a truncated sequence exactly at the chunk boundary.
  std::string text(1 << 20, 'x');
  text.replace(text.size() - 1, 1, "\xE2");
  text += "\x82";  // E2 82 then end of input: truncated
  testing::TempFile file(text);
  CHECK_THROWS_WITH_AS(tokenize_file(file.path(), TextOptions{}, [](std::string_view) {}),
                       doctest::Contains("byte offset 1048575"), InputError);
}
