// Text options and the streaming tokenizer: UTF-8 bytes in, text units out.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace charloom {

class StopRequest;

// What one model step sees.
enum class TextUnit { codepoint, grapheme, byte };
// Unicode normalization applied before segmentation.
enum class Normalization { nfc, nfkc, none };
// What happens to an ill-formed UTF-8 sequence.
enum class InvalidUtf8Policy { error, replace };
// Whether CR LF pairs stay as two units or become one LF.
enum class NewlinePolicy { keep, lf };

struct TextOptions {
  TextUnit unit = TextUnit::codepoint;
  Normalization normalization = Normalization::nfc;
  InvalidUtf8Policy invalid_utf8 = InvalidUtf8Policy::error;
  NewlinePolicy newlines = NewlinePolicy::keep;
};

// Names as used on the command line and in model files; parse_* throw UsageError on others.
std::string_view to_string(TextUnit unit);
std::string_view to_string(Normalization normalization);
std::string_view to_string(InvalidUtf8Policy policy);
std::string_view to_string(NewlinePolicy policy);
TextUnit parse_text_unit(std::string_view name);
Normalization parse_normalization(std::string_view name);
InvalidUtf8Policy parse_invalid_utf8_policy(std::string_view name);
NewlinePolicy parse_newline_policy(std::string_view name);

// Receives each unit as its UTF-8 bytes (one byte for byte units), valid until it returns.
using UnitSink = std::function<void(std::string_view unit)>;

// Turns a stream of UTF-8 bytes, fed in pieces of any size, into units.
// Strict validation (overlong forms, surrogates, truncation, bytes above F4 are errors),
// a leading BOM dropped, control characters and NUL kept, then normalization and
// segmentation. Splitting the input differently never changes the units.
class Tokenizer {
 public:
  // source_name appears in error messages ("corpus.txt:3:14: ...").
  Tokenizer(const TextOptions& options, std::string source_name, UnitSink sink);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Throws InputError naming the byte offset, line and column of invalid UTF-8.
  void feed(std::string_view bytes);
  // Flushes the last units; the tokenizer takes no more input afterwards.
  void finish();

  // Units of the form U+FFFD that replaced invalid input, under the replace policy.
  std::uint64_t replacements() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// All units of a piece of text, for tests and short inputs.
std::vector<std::string> split_units(std::string_view text, const TextOptions& options,
                                     std::string_view source_name = "<text>");

// Streams a file ("-" reads stdin) through a tokenizer in fixed-size chunks. Between chunks a
// `stop` request (run_events.hpp) ends it with Interrupted.
void tokenize_file(const std::string& path, const TextOptions& options, const UnitSink& sink,
                   const StopRequest* stop = nullptr);

}  // namespace charloom
