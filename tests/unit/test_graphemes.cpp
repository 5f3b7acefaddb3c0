// Grapheme clusters against known answers: emoji sequences, flags, marks, Hangul, Devanagari.
#include <doctest/doctest.h>

#include "charloom/text.hpp"
#include "test_helpers.hpp"

using namespace charloom;

namespace {

std::vector<std::string> graphemes(std::string_view text) {
  return split_units(text, testing::with_unit(TextUnit::grapheme, Normalization::none));
}

const std::string family =
    "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7\xE2\x80\x8D\xF0\x9F\x91\xA6";  // 👨‍👩‍👧‍👦
const std::string flag_fr = "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7";                                              // 🇫🇷
const std::string flag_jp = "\xF0\x9F\x87\xAF\xF0\x9F\x87\xB5";                                              // 🇯🇵
const std::string thumbs_dark = "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBF";                                          // 👍🏿
const std::string rainbow_flag = "\xF0\x9F\x8F\xB3\xEF\xB8\x8F\xE2\x80\x8D\xF0\x9F\x8C\x88";  // 🏳️‍🌈

}  // namespace

TEST_CASE("a ZWJ emoji family is one grapheme") {
  CHECK(graphemes(family) == std::vector<std::string>{family});
  CHECK(graphemes("a" + family + "b") == std::vector<std::string>{"a", family, "b"});
  CHECK(graphemes(rainbow_flag) == std::vector<std::string>{rainbow_flag});
  // The same family is seven code points.
  CHECK(split_units(family, testing::with_unit(TextUnit::codepoint)).size() == 7);
}

TEST_CASE("regional indicator pairs are flags, paired from the left") {
  CHECK(graphemes(flag_fr + flag_jp) == std::vector<std::string>{flag_fr, flag_jp});
  // Three indicators: one flag, then a lone indicator.
  const std::string lone = "\xF0\x9F\x87\xAB";
  CHECK(graphemes(flag_fr + lone) == std::vector<std::string>{flag_fr, lone});
}

TEST_CASE("skin tone modifiers join their emoji") {
  CHECK(graphemes(thumbs_dark + "!") == std::vector<std::string>{thumbs_dark, "!"});
}

TEST_CASE("combining marks join their base") {
  const std::string e_acute_decomposed = "e\xCC\x81";       // e + U+0301
  const std::string stacked = "a\xCC\x8A\xCC\xA3\xCD\x9C";  // a + three marks
  CHECK(graphemes(e_acute_decomposed + "x" + stacked) == std::vector<std::string>{e_acute_decomposed, "x", stacked});
}

TEST_CASE("Hangul jamo sequences form one syllable") {
  const std::string han_jamo = "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB";  // ᄒ ᅡ ᆫ (L V T)
  const std::string gul_jamo = "\xE1\x84\x80\xE1\x85\xB3\xE1\x86\xAF";  // ᄀ ᅳ ᆯ
  CHECK(graphemes(han_jamo + gul_jamo) == std::vector<std::string>{han_jamo, gul_jamo});
  // Under NFC the jamo compose into precomposed syllables 한 and 글.
  CHECK(split_units(han_jamo + gul_jamo, testing::with_unit(TextUnit::grapheme)) ==
        std::vector<std::string>{"\xED\x95\x9C", "\xEA\xB8\x80"});
}

TEST_CASE("Devanagari vowel signs and viramas stay with their consonant") {
  // नमस्ते = न | म | स्ते: ICU 72's rules keep a virama conjunct (स् + ते) in one cluster,
  // as Unicode 15.1's rule GB9c later made standard.
  const std::string na = "\xE0\xA4\xA8", ma = "\xE0\xA4\xAE";
  const std::string ste = "\xE0\xA4\xB8\xE0\xA5\x8D\xE0\xA4\xA4\xE0\xA5\x87";
  CHECK(graphemes(na + ma + ste) == std::vector<std::string>{na, ma, ste});
  // हिंदी = हिं | दी : a vowel sign and an anusvara join the consonant.
  const std::string hin = "\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\x82", di = "\xE0\xA4\xA6\xE0\xA5\x80";
  CHECK(graphemes(hin + di) == std::vector<std::string>{hin, di});
}

TEST_CASE("a grapheme cut between two pieces of input is rejoined") {
  std::vector<std::string> units;
  Tokenizer tokenizer(testing::with_unit(TextUnit::grapheme), "t",
                      [&](std::string_view unit) { units.emplace_back(unit); });
  // Feed the family emoji one byte at a time, past the internal flush size.
  std::string text;
  for (int i = 0; i < 5000; ++i) text += family + flag_fr + "e\xCC\x81";
  for (char byte : text) tokenizer.feed(std::string_view(&byte, 1));
  tokenizer.finish();
  REQUIRE(units.size() == 15000);
  for (std::size_t i = 0; i < units.size(); i += 3) {
    CHECK(units[i] == family);
    CHECK(units[i + 1] == flag_fr);
    CHECK(units[i + 2] == "\xC3\xA9");  // é composed by NFC
  }
}
