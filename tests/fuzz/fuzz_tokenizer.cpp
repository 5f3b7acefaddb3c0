// Fuzzes UTF-8 validation and tokenization for every unit, normalization and policy: bad
// input may only throw charloom::InputError, and feeding the bytes in two pieces must give
// exactly the units of feeding them at once.
#include <string>
#include <vector>

#include "charloom/errors.hpp"
#include "charloom/text.hpp"
#include "fuzz_input.hpp"

using namespace charloom;

namespace {

// The units of `pieces` fed in order, or the error message.
std::vector<std::string> units_of(const TextOptions& options, const std::vector<std::string_view>& pieces,
                                  std::string& error) {
  std::vector<std::string> units;
  try {
    Tokenizer tokenizer(options, "fuzz", [&](std::string_view unit) { units.emplace_back(unit); });
    for (std::string_view piece : pieces) tokenizer.feed(piece);
    tokenizer.finish();
  } catch (const InputError& e) {
    error = e.what();
  }
  return units;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput input(data, size);
  TextOptions options;
  options.unit = static_cast<TextUnit>(input.choose(3));
  options.normalization = static_cast<Normalization>(input.choose(3));
  options.invalid_utf8 = static_cast<InvalidUtf8Policy>(input.choose(2));
  options.newlines = static_cast<NewlinePolicy>(input.choose(2));
  const unsigned cut_choice = input.choose(256);
  const std::string_view text = input.rest();
  const std::size_t cut = text.empty() ? 0 : cut_choice % (text.size() + 1);

  std::string whole_error, split_error;
  const auto whole = units_of(options, {text}, whole_error);
  const auto split = units_of(options, {text.substr(0, cut), text.substr(cut)}, split_error);
  fuzz::require(whole_error.empty() == split_error.empty(), "splitting the input changed whether it is valid");
  if (whole_error.empty()) fuzz::require(whole == split, "splitting the input changed the units");
  return 0;
}
