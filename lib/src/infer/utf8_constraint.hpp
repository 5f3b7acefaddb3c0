// Which units may come next so that the output stays valid UTF-8, and never the unknown unit.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "charloom/vocabulary.hpp"

namespace charloom::infer {

// Code point and grapheme units are whole characters, so any known unit may follow any
// other. A byte-level model can emit a stray continuation byte or cut a sequence short, so
// after each byte only the bytes that keep a well-formed sequence possible are allowed
// (Unicode's table 3-7: E0 needs A0-BF next, ED 80-9F, F0 90-BF, F4 80-8F).
class Utf8Constraint {
 public:
  explicit Utf8Constraint(const Vocabulary& vocabulary);

  // Where one output stream stands inside a UTF-8 sequence.
  struct State {
    std::uint8_t remaining = 0;  // continuation bytes still owed
    std::uint8_t range = 0;      // which byte range the next one must fall in
    bool complete() const { return remaining == 0; }
  };

  // A mask over ids (1 = allowed) for the next unit after `state`.
  const std::uint8_t* allowed(State state) const;
  // The state after emitting `unit_text`, the text of an allowed unit.
  State advance(State state, std::string_view unit_text) const;

 private:
  bool bytes_ = false;
  // One mask per range of the next byte: [0] a sequence start (or any unit), then the
  // continuation ranges 80-BF, A0-BF, 80-9F, 90-BF and 80-8F.
  std::vector<std::vector<std::uint8_t>> masks_;
};

}  // namespace charloom::infer
