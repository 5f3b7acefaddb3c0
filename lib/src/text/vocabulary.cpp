// Unit counting and the vocabulary: deterministic ids, fast lookup, lossless save and load.
#include "charloom/vocabulary.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "charloom/errors.hpp"
#include "text/unit_names.hpp"

namespace charloom {

void UnitCounts::add(std::string_view unit) {
  ++total_;
  if (unit.size() == 1) {
    ++single_byte_[static_cast<unsigned char>(unit[0])];
    return;
  }
  auto found = longer_.find(unit);
  if (found != longer_.end()) {
    ++found->second;
  } else {
    longer_.emplace(std::string(unit), 1);
  }
}

std::vector<std::pair<std::string, std::uint64_t>> UnitCounts::sorted() const {
  std::vector<std::pair<std::string, std::uint64_t>> counts(longer_.begin(), longer_.end());
  for (int byte = 0; byte < 256; ++byte)
    if (single_byte_[byte] > 0) counts.emplace_back(std::string(1, static_cast<char>(byte)), single_byte_[byte]);
  // Byte order of UTF-8 is code point order, and it is independent of where units appeared.
  std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
    return std::lexicographical_compare(
        a.first.begin(), a.first.end(), b.first.begin(), b.first.end(),
        [](char x, char y) { return static_cast<unsigned char>(x) < static_cast<unsigned char>(y); });
  });
  return counts;
}

Vocabulary Vocabulary::build(const UnitCounts& counts, TextUnit unit, std::uint64_t min_count) {
  Vocabulary vocabulary;
  vocabulary.unit_ = unit;
  vocabulary.units_.emplace_back();  // the unknown unit
  for (auto& [unit_bytes, count] : counts.sorted())
    if (count >= min_count) vocabulary.units_.push_back(unit_bytes);
  vocabulary.index();
  return vocabulary;
}

Vocabulary Vocabulary::from_names(const std::vector<std::string>& names, TextUnit unit) {
  if (names.empty() || names[0] != unknown_name)
    throw InputError("vocabulary must start with the unknown unit \"" + std::string(unknown_name) + "\"");
  Vocabulary vocabulary;
  vocabulary.unit_ = unit;
  vocabulary.units_.emplace_back();
  for (std::size_t id = 1; id < names.size(); ++id)
    vocabulary.units_.push_back(text::unit_bytes_from_name(names[id], unit));
  vocabulary.index();
  if (vocabulary.longer_ids_.size() +
          static_cast<std::size_t>(std::count_if(std::begin(vocabulary.single_byte_ids_),
                                                 std::end(vocabulary.single_byte_ids_),
                                                 [](std::int32_t id) { return id >= 0; })) !=
      names.size() - 1)
    throw InputError("vocabulary lists a unit twice; each unit must appear once");
  return vocabulary;
}

Vocabulary Vocabulary::from_json(std::string_view json_array, TextUnit unit) {
  nlohmann::json parsed = nlohmann::json::parse(json_array, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) throw InputError("vocabulary is not a JSON array of strings");
  std::vector<std::string> names;
  names.reserve(parsed.size());
  for (const auto& entry : parsed) {
    if (!entry.is_string()) throw InputError("vocabulary is not a JSON array of strings");
    names.push_back(entry.get<std::string>());
  }
  return from_names(names, unit);
}

void Vocabulary::index() {
  std::fill(std::begin(single_byte_ids_), std::end(single_byte_ids_), -1);
  longer_ids_.clear();
  for (std::uint32_t id = 1; id < units_.size(); ++id) {
    const std::string& unit_bytes = units_[id];
    if (unit_bytes.size() == 1) {
      single_byte_ids_[static_cast<unsigned char>(unit_bytes[0])] = static_cast<std::int32_t>(id);
    } else {
      longer_ids_.emplace(unit_bytes, id);
    }
  }
}

std::optional<std::uint32_t> Vocabulary::find(std::string_view unit) const {
  if (unit.size() == 1) {
    const std::int32_t id = single_byte_ids_[static_cast<unsigned char>(unit[0])];
    if (id < 0) return std::nullopt;
    return static_cast<std::uint32_t>(id);
  }
  auto found = longer_ids_.find(unit);
  if (found == longer_ids_.end()) return std::nullopt;
  return static_cast<std::uint32_t>(found->second);
}

std::string_view Vocabulary::text_of(std::uint32_t id) const {
  if (id == unknown_id || id >= units_.size()) return unknown_text;
  return units_[id];
}

std::string Vocabulary::decode(std::span<const std::uint32_t> ids) const {
  std::string text;
  for (std::uint32_t id : ids) text.append(text_of(id));
  return text;
}

std::vector<std::string> Vocabulary::names() const {
  std::vector<std::string> names{std::string(unknown_name)};
  for (std::size_t id = 1; id < units_.size(); ++id) names.push_back(text::unit_name(units_[id], unit_));
  return names;
}

std::string Vocabulary::to_json() const { return nlohmann::json(names()).dump(); }

}  // namespace charloom
