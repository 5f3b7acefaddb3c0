// Fuzzes the TSV, CSV and JSONL readers of labeled text with either column order: bad
// records may only throw charloom::Error, and every record read has a label when one is
// required and a line number within the input.
#include "charloom/errors.hpp"
#include "charloom/labeled_text.hpp"
#include "fuzz_input.hpp"

using namespace charloom;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput input(data, size);
  LabeledReaderOptions options;
  options.format = static_cast<LabeledFormat>(input.choose(3));
  options.columns = static_cast<ColumnOrder>(input.choose(2));
  options.require_label = input.choose(2) == 0;
  const std::string_view content = input.rest();
  try {
    // Lines end at LF, CR LF or a lone CR, as the readers (and Python's csv module) count them.
    std::size_t lines = 1;
    for (std::size_t i = 0; i < content.size(); ++i)
      if (content[i] == '\n' || (content[i] == '\r' && (i + 1 == content.size() || content[i + 1] != '\n'))) ++lines;
    for (const LabeledText& record : parse_labeled_text(content, "fuzz", options)) {
      fuzz::require(!options.require_label || record.label.has_value(), "a required label is missing");
      fuzz::require(record.line >= 1 && record.line <= lines, "a record's line number is outside the input");
    }
  } catch (const Error&) {
  }
  return 0;
}
