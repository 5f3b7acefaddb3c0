// The vocabulary: units counted in a corpus, given ids in a deterministic order.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "charloom/text.hpp"

namespace charloom {

// Lets string-keyed maps be searched with a string_view, without building a string.
struct TransparentStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};
using StringIdMap = std::unordered_map<std::string, std::uint64_t, TransparentStringHash, std::equal_to<>>;

// Counts how often each unit occurs; feed it from a Tokenizer's sink.
class UnitCounts {
 public:
  void add(std::string_view unit);
  // Units and counts, sorted by the unit's bytes so the result never depends on corpus order.
  std::vector<std::pair<std::string, std::uint64_t>> sorted() const;
  std::uint64_t total() const { return total_; }

 private:
  std::uint64_t single_byte_[256] = {};
  StringIdMap longer_;
  std::uint64_t total_ = 0;
};

// Id 0 is always the unknown unit, named "<unk>"; the known units follow in byte order.
// In byte vocabularies a byte above 0x7F is named "<0xNN>" so that every name is valid text.
class Vocabulary {
 public:
  static constexpr std::uint32_t unknown_id = 0;
  static constexpr std::string_view unknown_name = "<unk>";
  // What decode() writes for the unknown unit: U+FFFD REPLACEMENT CHARACTER.
  static constexpr std::string_view unknown_text = "\xEF\xBF\xBD";

  Vocabulary() { index(); }
  // Units seen fewer than min_count times map to the unknown unit.
  static Vocabulary build(const UnitCounts& counts, TextUnit unit, std::uint64_t min_count = 1);
  // Rebuilds from names in id order (as saved); throws InputError on a malformed list.
  static Vocabulary from_names(const std::vector<std::string>& names, TextUnit unit);
  static Vocabulary from_json(std::string_view json_array, TextUnit unit);

  std::size_t size() const { return units_.size(); }
  TextUnit unit() const { return unit_; }
  std::optional<std::uint32_t> find(std::string_view unit) const;
  std::uint32_t id_of(std::string_view unit) const { return find(unit).value_or(unknown_id); }
  // The unit's bytes as text; unknown_text for the unknown unit.
  std::string_view text_of(std::uint32_t id) const;
  std::string decode(std::span<const std::uint32_t> ids) const;
  // Names in id order, each a valid UTF-8 string, as stored in model files.
  std::vector<std::string> names() const;
  std::string to_json() const;

  bool operator==(const Vocabulary& other) const { return unit_ == other.unit_ && units_ == other.units_; }

 private:
  void index();

  TextUnit unit_ = TextUnit::codepoint;
  std::vector<std::string> units_;          // raw unit bytes; units_[0] is unused (unknown)
  std::int32_t single_byte_ids_[256] = {};  // -1 where absent: the hot path for ASCII text
  StringIdMap longer_ids_;
};

}  // namespace charloom
