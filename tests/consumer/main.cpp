// Uses the installed library: graphemes, a vocabulary and an exact round trip.
#include <charloom/vocabulary.hpp>

#include <iostream>

int main() {
  charloom::TextOptions options;
  options.unit = charloom::TextUnit::grapheme;
  const auto units = charloom::split_units(
      "a\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBF"
      "b",
      options);
  charloom::UnitCounts counts;
  std::vector<std::uint32_t> ids;
  for (const auto& unit : units) counts.add(unit);
  const auto vocabulary = charloom::Vocabulary::build(counts, options.unit);
  for (const auto& unit : units) ids.push_back(vocabulary.id_of(unit));
  std::cout << "units=" << units.size() << " vocabulary=" << vocabulary.size() - 1
            << " decoded=" << vocabulary.decode(ids) << "\n";
}
