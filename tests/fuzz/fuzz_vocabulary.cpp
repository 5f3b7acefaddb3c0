// Fuzzes vocabulary loading from its JSON array: a malformed list may only throw
// charloom::Error, and a list that loads must survive saving and loading unchanged.
#include "charloom/errors.hpp"
#include "charloom/vocabulary.hpp"
#include "fuzz_input.hpp"

using namespace charloom;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput input(data, size);
  const auto unit = static_cast<TextUnit>(input.choose(3));
  try {
    const Vocabulary vocabulary = Vocabulary::from_json(input.rest(), unit);
    const Vocabulary again = Vocabulary::from_json(vocabulary.to_json(), unit);
    fuzz::require(again.names() == vocabulary.names(), "a vocabulary changed in a save and load");
  } catch (const Error&) {
  }
  return 0;
}
