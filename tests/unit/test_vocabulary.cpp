// Vocabulary: deterministic ids, exact round trips, the unknown unit and lossless save/load.
#include <doctest/doctest.h>

#include "charloom/errors.hpp"
#include "charloom/vocabulary.hpp"
#include "test_helpers.hpp"

using namespace charloom;

namespace {

Vocabulary vocabulary_of(std::string_view text, TextOptions options = {}, std::uint64_t min_count = 1) {
  UnitCounts counts;
  for (const std::string& unit : split_units(text, options)) counts.add(unit);
  return Vocabulary::build(counts, options.unit, min_count);
}

std::vector<std::uint32_t> encode(const Vocabulary& vocabulary, std::string_view text, TextOptions options = {}) {
  std::vector<std::uint32_t> ids;
  for (const std::string& unit : split_units(text, options)) ids.push_back(vocabulary.id_of(unit));
  return ids;
}

constexpr char sample_bytes[] =
    "Grüße, 世界! \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7 "
    "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xF0\x9F\x87\xAB\xF0\x9F\x87\xB7 a\0b\r\n";
// Built with its length so the NUL inside stays part of it.
const std::string sample(sample_bytes, sizeof sample_bytes - 1);

}  // namespace

TEST_CASE("ids follow code point order, whatever order the corpus has") {
  Vocabulary forward = vocabulary_of("cab");
  Vocabulary backward = vocabulary_of("bca");
  CHECK(forward == backward);
  CHECK(forward.names() == std::vector<std::string>{"<unk>", "a", "b", "c"});
  CHECK(forward.id_of("a") == 1);
  CHECK(forward.id_of("z") == Vocabulary::unknown_id);
  // Code point order: 'Z' (U+005A) < 'a' < 'é' (U+00E9) < '€' (U+20AC) < '😀'.
  CHECK(vocabulary_of("😀€éaZ").names() == std::vector<std::string>{"<unk>", "Z", "a", "é", "€", "😀"});
}

TEST_CASE("encode then decode is exact for every unit kind") {
  const std::string& text = sample;
  for (TextUnit unit : {TextUnit::codepoint, TextUnit::grapheme, TextUnit::byte}) {
    CAPTURE(to_string(unit));
    const TextOptions options = testing::with_unit(unit, Normalization::none);
    Vocabulary vocabulary = vocabulary_of(text, options);
    const std::vector<std::uint32_t> ids = encode(vocabulary, text, options);
    CHECK(vocabulary.decode(ids) == text);
    for (std::uint32_t id : ids) CHECK(id != Vocabulary::unknown_id);
  }
}

TEST_CASE("grapheme vocabularies hold whole clusters") {
  Vocabulary vocabulary = vocabulary_of(sample, testing::with_unit(TextUnit::grapheme));
  CHECK(vocabulary.find("\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7").has_value());
  CHECK_FALSE(vocabulary.find("\xF0\x9F\x87\xAB").has_value());
  CHECK(vocabulary.find("\r\n").has_value());
}

TEST_CASE("units under --min-count map to the unknown unit, which decodes as U+FFFD") {
  Vocabulary vocabulary = vocabulary_of("aaabbc", TextOptions{}, 2);
  CHECK(vocabulary.names() == std::vector<std::string>{"<unk>", "a", "b"});
  const std::vector<std::uint32_t> ids = encode(vocabulary, "abcx");
  CHECK(ids == std::vector<std::uint32_t>{1, 2, 0, 0});
  CHECK(vocabulary.decode(ids) == "ab\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("vocabularies save and load losslessly") {
  for (TextUnit unit : {TextUnit::codepoint, TextUnit::grapheme, TextUnit::byte}) {
    CAPTURE(to_string(unit));
    Vocabulary original = vocabulary_of(sample, testing::with_unit(unit));
    const std::string json = original.to_json();
    Vocabulary loaded = Vocabulary::from_json(json, unit);
    CHECK(loaded == original);
    CHECK(loaded.to_json() == json);
  }
  // Byte vocabularies name high bytes <0xNN> so the JSON stays valid text.
  Vocabulary bytes = vocabulary_of("é", testing::with_unit(TextUnit::byte));
  CHECK(bytes.to_json() == R"(["<unk>","<0xA9>","<0xC3>"])");
  // NUL and controls survive JSON escaping.
  Vocabulary controls = vocabulary_of(std::string("\0\x1F", 2));
  CHECK(controls.to_json() == R"(["<unk>","\u0000","\u001f"])");
  CHECK(Vocabulary::from_json(controls.to_json(), TextUnit::codepoint) == controls);
}

TEST_CASE("malformed vocabularies are refused with a reason") {
  CHECK_THROWS_WITH_AS(Vocabulary::from_json("{}", TextUnit::codepoint), "vocabulary is not a JSON array of strings",
                       InputError);
  CHECK_THROWS_WITH_AS(Vocabulary::from_json("[\"a\"]", TextUnit::codepoint),
                       doctest::Contains("must start with the unknown unit"), InputError);
  CHECK_THROWS_WITH_AS(Vocabulary::from_json(R"(["<unk>","a","a"])", TextUnit::codepoint),
                       doctest::Contains("lists a unit twice"), InputError);
  CHECK_THROWS_WITH_AS(Vocabulary::from_json(R"(["<unk>","ab"])", TextUnit::codepoint),
                       doctest::Contains("is 2 graphemes"), InputError);
  CHECK_THROWS_WITH_AS(Vocabulary::from_json(R"(["<unk>","e\u0301"])", TextUnit::codepoint),
                       doctest::Contains("several code points"), InputError);
  CHECK(Vocabulary::from_json(R"(["<unk>","e\u0301"])", TextUnit::grapheme).size() == 2);
  CHECK_THROWS_WITH_AS(Vocabulary::from_json(R"(["<unk>","<0x41>"])", TextUnit::byte),
                       doctest::Contains("is not a byte unit"), InputError);
  CHECK_THROWS_AS(Vocabulary::from_json("[\"<unk>\",", TextUnit::codepoint), InputError);
}
