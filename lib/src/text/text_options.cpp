// Names of the text options, shared by the command line and the model file.
#include <array>
#include <string>
#include <utility>

#include "charloom/errors.hpp"
#include "charloom/text.hpp"

namespace charloom {
namespace {

template <typename Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

constexpr NameTable<TextUnit, 3> unit_names{
    {{TextUnit::codepoint, "codepoint"}, {TextUnit::grapheme, "grapheme"}, {TextUnit::byte, "byte"}}};
constexpr NameTable<Normalization, 3> normalization_names{
    {{Normalization::nfc, "nfc"}, {Normalization::nfkc, "nfkc"}, {Normalization::none, "none"}}};
constexpr NameTable<InvalidUtf8Policy, 2> invalid_utf8_names{
    {{InvalidUtf8Policy::error, "error"}, {InvalidUtf8Policy::replace, "replace"}}};
constexpr NameTable<NewlinePolicy, 2> newline_names{{{NewlinePolicy::keep, "keep"}, {NewlinePolicy::lf, "lf"}}};

template <typename Enum, std::size_t N>
std::string_view name_of(const NameTable<Enum, N>& table, Enum value) {
  for (const auto& [entry, name] : table)
    if (entry == value) return name;
  return "?";
}

template <typename Enum, std::size_t N>
Enum parse_name(const NameTable<Enum, N>& table, std::string_view name, std::string_view what) {
  std::string allowed;
  for (const auto& [entry, entry_name] : table) {
    if (entry_name == name) return entry;
    allowed += allowed.empty() ? "" : ", ";
    allowed += entry_name;
  }
  throw UsageError("unknown " + std::string(what) + " '" + std::string(name) + "'; use one of " + allowed);
}

}  // namespace

std::string_view to_string(TextUnit unit) { return name_of(unit_names, unit); }
std::string_view to_string(Normalization value) { return name_of(normalization_names, value); }
std::string_view to_string(InvalidUtf8Policy value) { return name_of(invalid_utf8_names, value); }
std::string_view to_string(NewlinePolicy value) { return name_of(newline_names, value); }

TextUnit parse_text_unit(std::string_view name) { return parse_name(unit_names, name, "unit"); }
Normalization parse_normalization(std::string_view name) {
  return parse_name(normalization_names, name, "normalization");
}
InvalidUtf8Policy parse_invalid_utf8_policy(std::string_view name) {
  return parse_name(invalid_utf8_names, name, "invalid-utf8 policy");
}
NewlinePolicy parse_newline_policy(std::string_view name) { return parse_name(newline_names, name, "newline policy"); }

}  // namespace charloom
