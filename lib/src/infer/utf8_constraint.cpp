// The byte ranges of well-formed UTF-8 (Unicode 15, table 3-7) as masks over a vocabulary.
#include "infer/utf8_constraint.hpp"

namespace charloom::infer {
namespace {

struct Range {
  unsigned low, high;
};
// Index 0 is unused (a sequence start); the others are the continuation ranges.
constexpr Range continuation_ranges[] = {{0, 0}, {0x80, 0xBF}, {0xA0, 0xBF}, {0x80, 0x9F}, {0x90, 0xBF}, {0x80, 0x8F}};

bool starts_sequence(unsigned byte) { return byte <= 0x7F || (byte >= 0xC2 && byte <= 0xF4); }

}  // namespace

Utf8Constraint::Utf8Constraint(const Vocabulary& vocabulary) : bytes_(vocabulary.unit() == TextUnit::byte) {
  const std::size_t size = vocabulary.size();
  masks_.assign(bytes_ ? std::size(continuation_ranges) : 1, std::vector<std::uint8_t>(size, 0));
  for (std::uint32_t id = 0; id < size; ++id) {
    if (id == Vocabulary::unknown_id) continue;
    const std::string_view text = vocabulary.text_of(id);
    if (!bytes_) {
      masks_[0][id] = 1;
      continue;
    }
    const auto byte = static_cast<unsigned char>(text[0]);
    masks_[0][id] = starts_sequence(byte) ? 1 : 0;
    for (std::size_t r = 1; r < masks_.size(); ++r)
      masks_[r][id] = byte >= continuation_ranges[r].low && byte <= continuation_ranges[r].high ? 1 : 0;
  }
  if (!bytes_) return;
  // A lead byte whose sequence the vocabulary cannot finish (bytes cut by --min-count, say)
  // would strand the output mid-sequence: never start one.
  const auto any = [](const std::vector<std::uint8_t>& mask) {
    for (std::uint8_t allowed : mask)
      if (allowed) return true;
    return false;
  };
  for (std::uint32_t id = 1; id < size; ++id) {
    if (!masks_[0][id]) continue;
    const State next = advance(State{}, vocabulary.text_of(id));
    if (next.complete()) continue;
    if (!any(masks_[next.range]) || (next.remaining > 1 && !any(masks_[1]))) masks_[0][id] = 0;
  }
}

const std::uint8_t* Utf8Constraint::allowed(State state) const {
  return masks_[state.complete() ? 0 : state.range].data();
}

Utf8Constraint::State Utf8Constraint::advance(State state, std::string_view unit_text) const {
  if (!bytes_ || unit_text.size() != 1) return state;
  const auto byte = static_cast<unsigned char>(unit_text[0]);
  if (!state.complete()) {
    // Only the byte right after the lead byte has a narrowed range; later ones take 80-BF.
    return State{static_cast<std::uint8_t>(state.remaining - 1), 1};
  }
  if (byte <= 0x7F) return State{};
  if (byte <= 0xDF) return State{1, 1};
  if (byte <= 0xEF) return State{2, static_cast<std::uint8_t>(byte == 0xE0 ? 2 : byte == 0xED ? 3 : 1)};
  return State{3, static_cast<std::uint8_t>(byte == 0xF0 ? 4 : byte == 0xF4 ? 5 : 1)};
}

}  // namespace charloom::infer
