// Normalization: NFC composes, NFKC folds compatibility forms, none keeps the bytes.
#include <doctest/doctest.h>

#include "charloom/text.hpp"
#include "test_helpers.hpp"

using namespace charloom;

namespace {
std::vector<std::string> code_points(std::string_view text, Normalization normalization) {
  return split_units(text, testing::with_unit(TextUnit::codepoint, normalization));
}
}  // namespace

TEST_CASE("NFC composes a base and a combining mark") {
  CHECK(code_points("e\xCC\x81", Normalization::nfc) == std::vector<std::string>{"\xC3\xA9"});
  CHECK(code_points("e\xCC\x81", Normalization::none) == std::vector<std::string>{"e", "\xCC\x81"});
  // Canonical reordering: dot below (ccc 220) comes before dot above (ccc 230) in NFC.
  CHECK(code_points("q\xCC\x87\xCC\xA3", Normalization::nfc) == std::vector<std::string>{"q", "\xCC\xA3", "\xCC\x87"});
  // Angstrom sign U+212B is canonically Å U+00C5.
  CHECK(code_points("\xE2\x84\xAB", Normalization::nfc) == std::vector<std::string>{"\xC3\x85"});
}

TEST_CASE("NFKC folds compatibility characters, NFC keeps them") {
  const std::string fi_ligature = "\xEF\xAC\x81";  // ﬁ
  CHECK(code_points(fi_ligature, Normalization::nfc) == std::vector<std::string>{fi_ligature});
  CHECK(code_points(fi_ligature, Normalization::nfkc) == std::vector<std::string>{"f", "i"});
  // Full-width A and superscript two.
  CHECK(code_points("\xEF\xBC\xA1\xC2\xB2", Normalization::nfkc) == std::vector<std::string>{"A", "2"});
}

TEST_CASE("normalization gives the same result however the input is cut") {
  // 70,000 decomposed é pass the internal flush size; each must come out composed.
  std::string text;
  for (int i = 0; i < 70000; ++i) text += "e\xCC\x81";
  std::uint64_t composed = 0, other = 0;
  Tokenizer tokenizer(TextOptions{}, "t", [&](std::string_view unit) { (unit == "\xC3\xA9" ? composed : other) += 1; });
  for (std::size_t at = 0; at < text.size(); at += 1001) tokenizer.feed(std::string_view(text).substr(at, 1001));
  tokenizer.finish();
  CHECK(composed == 70000);
  CHECK(other == 0);
}

TEST_CASE("option names parse and print, and unknown names are usage errors") {
  CHECK(parse_normalization("nfkc") == Normalization::nfkc);
  CHECK(to_string(Normalization::none) == "none");
  CHECK(parse_text_unit("grapheme") == TextUnit::grapheme);
  CHECK(parse_invalid_utf8_policy("replace") == InvalidUtf8Policy::replace);
  CHECK(parse_newline_policy("lf") == NewlinePolicy::lf);
  CHECK_THROWS_WITH(parse_normalization("nfd"), "unknown normalization 'nfd'; use one of nfc, nfkc, none");
  CHECK_THROWS_WITH(parse_text_unit("word"), "unknown unit 'word'; use one of codepoint, grapheme, byte");
}
