// The streaming tokenizer: decode, fix newlines, normalize (ICU Normalizer2) and segment
// (ICU's character BreakIterator) in bounded chunks, so a corpus of any size, or a single
// line of many megabytes, passes through in constant memory.
#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <memory>

#include "charloom/errors.hpp"
#include "charloom/run_events.hpp"
#include "charloom/text.hpp"
#include "io/file_reader.hpp"
#include "text/utf8_decoder.hpp"

namespace charloom {
namespace {

// Decoded text is normalized and segmented once this many UTF-16 units have gathered.
constexpr std::int32_t flush_units = 1 << 16;
// Without a normalization boundary in sight, text waits up to this size before being cut
// anyway (only text made of nothing but combining marks could get here).
constexpr std::int32_t forced_flush_units = 1 << 24;

const icu::Normalizer2* normalizer_for(Normalization normalization) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = nullptr;
  switch (normalization) {
    case Normalization::nfc:
      normalizer = icu::Normalizer2::getNFCInstance(status);
      break;
    case Normalization::nfkc:
      normalizer = icu::Normalizer2::getNFKCInstance(status);
      break;
    case Normalization::none:
      return nullptr;
  }
  if (U_FAILURE(status)) throw Error(std::string("ICU normalizer unavailable: ") + u_errorName(status));
  return normalizer;
}

std::unique_ptr<icu::BreakIterator> grapheme_iterator() {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> iterator(
      icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), status));
  if (U_FAILURE(status)) throw Error(std::string("ICU break iterator unavailable: ") + u_errorName(status));
  return iterator;
}

}  // namespace

struct Tokenizer::Impl {
  Impl(const TextOptions& text_options, std::string source_name, UnitSink unit_sink)
      : options(text_options),
        sink(std::move(unit_sink)),
        decoder(text_options.invalid_utf8, std::move(source_name)),
        normalizer(normalizer_for(text_options.normalization)) {
    if (options.unit == TextUnit::grapheme) graphemes = grapheme_iterator();
  }

  void take(const std::vector<char32_t>& code_points);
  void flush(bool final);
  void emit_units(const icu::UnicodeString& text, bool final);
  void emit_code_points(const icu::UnicodeString& text, std::int32_t begin, std::int32_t end);

  TextOptions options;
  UnitSink sink;
  text::Utf8Decoder decoder;
  const icu::Normalizer2* normalizer;
  std::unique_ptr<icu::BreakIterator> graphemes;
  std::vector<char32_t> decoded;  // scratch for each piece
  icu::UnicodeString raw;         // decoded text not yet normalized
  icu::UnicodeString pending;     // normalized text whose last grapheme may still grow
  std::string unit;               // scratch for one unit's bytes
  bool pending_cr = false;
  bool finished = false;
};

void Tokenizer::Impl::take(const std::vector<char32_t>& code_points) {
  const bool crlf_to_lf = options.newlines == NewlinePolicy::lf;
  for (char32_t code_point : code_points) {
    if (crlf_to_lf) {
      // A CR is held until the next code point shows whether it starts a CR LF pair.
      if (pending_cr) {
        pending_cr = false;
        if (code_point != U'\n') raw.append(static_cast<UChar32>(U'\r'));
      }
      if (code_point == U'\r') {
        pending_cr = true;
        continue;
      }
    }
    raw.append(static_cast<UChar32>(code_point));
  }
  if (raw.length() >= flush_units) flush(false);
}

void Tokenizer::Impl::flush(bool final) {
  std::int32_t cut = raw.length();
  if (!final && normalizer != nullptr) {
    // Normalizing up to a boundary and the rest later equals normalizing the whole text.
    cut = 0;
    for (std::int32_t i = raw.length(); i > 0;) {
      i = raw.moveIndex32(i, -1);
      if (i > 0 && normalizer->hasBoundaryBefore(raw.char32At(i))) {
        cut = i;
        break;
      }
    }
    if (cut == 0) {
      if (raw.length() < forced_flush_units) return;
      cut = raw.length();
    }
  }
  if (normalizer != nullptr) {
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString normalized = normalizer->normalize(raw.tempSubString(0, cut), status);
    if (U_FAILURE(status)) throw Error(std::string("ICU normalization failed: ") + u_errorName(status));
    raw.remove(0, cut);
    emit_units(normalized, final);
  } else {
    icu::UnicodeString piece = raw.tempSubString(0, cut);
    raw.remove(0, cut);
    emit_units(piece, final);
  }
}

void Tokenizer::Impl::emit_code_points(const icu::UnicodeString& text, std::int32_t begin, std::int32_t end) {
  for (std::int32_t i = begin; i < end;) {
    const UChar32 code_point = text.char32At(i);
    i += U16_LENGTH(code_point);
    unit.clear();
    text::append_utf8(unit, static_cast<char32_t>(code_point));
    if (options.unit == TextUnit::byte) {
      for (char byte : unit) sink(std::string_view(&byte, 1));
    } else {
      sink(unit);
    }
  }
}

void Tokenizer::Impl::emit_units(const icu::UnicodeString& text, bool final) {
  if (options.unit != TextUnit::grapheme) {
    emit_code_points(text, 0, text.length());
    return;
  }
  // The last cluster may continue in text not yet seen (a ZWJ, a combining mark, the second
  // flag letter): hold it back and segment it again with what follows.
  pending.append(text);
  graphemes->setText(pending);
  std::int32_t start = graphemes->first();
  for (std::int32_t end = graphemes->next(); end != icu::BreakIterator::DONE; start = end, end = graphemes->next()) {
    if (!final && end == pending.length()) break;
    unit.clear();
    for (std::int32_t i = start; i < end;) {
      const UChar32 code_point = pending.char32At(i);
      i += U16_LENGTH(code_point);
      text::append_utf8(unit, static_cast<char32_t>(code_point));
    }
    sink(unit);
  }
  pending.remove(0, final ? pending.length() : start);
}

Tokenizer::Tokenizer(const TextOptions& options, std::string source_name, UnitSink sink)
    : impl_(std::make_unique<Impl>(options, std::move(source_name), std::move(sink))) {}

Tokenizer::~Tokenizer() = default;

void Tokenizer::feed(std::string_view bytes) {
  if (impl_->finished) throw Error("Tokenizer::feed called after finish");
  impl_->decoded.clear();
  impl_->decoder.decode(bytes, impl_->decoded);
  impl_->take(impl_->decoded);
}

void Tokenizer::finish() {
  if (impl_->finished) return;
  impl_->decoded.clear();
  impl_->decoder.finish(impl_->decoded);
  impl_->take(impl_->decoded);
  if (impl_->pending_cr) impl_->raw.append(static_cast<UChar32>(U'\r'));
  impl_->pending_cr = false;
  impl_->flush(true);
  impl_->finished = true;
}

std::uint64_t Tokenizer::replacements() const { return impl_->decoder.replacements(); }

std::vector<std::string> split_units(std::string_view text, const TextOptions& options, std::string_view source_name) {
  std::vector<std::string> units;
  Tokenizer tokenizer(options, std::string(source_name), [&](std::string_view unit) { units.emplace_back(unit); });
  tokenizer.feed(text);
  tokenizer.finish();
  return units;
}

void tokenize_file(const std::string& path, const TextOptions& options, const UnitSink& sink, const StopRequest* stop) {
  Tokenizer tokenizer(options, path == "-" ? "<stdin>" : path, sink);
  io::read_chunks(path, [&](std::string_view piece) {
    if (stop != nullptr && stop->stop_requested()) throw Interrupted("stopped while reading " + path);
    tokenizer.feed(piece);
  });
  tokenizer.finish();
}

}  // namespace charloom
