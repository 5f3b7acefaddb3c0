// Uses the installed library: graphemes, a vocabulary and an exact round trip; then, given
// a model name, finds the installed model by it and prints its most likely 60 characters.
#include <charloom/generation.hpp>
#include <charloom/model_catalog.hpp>
#include <charloom/vocabulary.hpp>

#include <iostream>

namespace {

void round_trip() {
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

void most_likely_text(const std::string& name) {
  const std::string path = charloom::resolve_model(name);
  charloom::LanguageModel model = charloom::LanguageModel::load(path);
  charloom::GenerationOptions options;
  options.sampling.temperature = 0.0;
  options.length = 60;
  std::string text;
  charloom::generate(
      model, {}, options,
      [&](int, std::string_view piece) {
        text += piece;
        return true;
      },
      [](int, const charloom::SampleEnd&) {});
  std::cout << path << "\n" << text;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    round_trip();
    return 0;
  }
  try {
    most_likely_text(argv[1]);
  } catch (const std::exception& error) {
    std::cerr << "consumer: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
