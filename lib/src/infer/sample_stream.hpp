// What every sampling loop is made of: priming a stream, and one sample's progress through
// its UTF-8 state, stop strings and length. generate() and StreamBatch share them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "charloom/generation.hpp"
#include "infer/stop_matcher.hpp"
#include "infer/utf8_constraint.hpp"
#include "nn/predictor.hpp"

namespace charloom::infer {

// Runs every prime unit but the last through the network at batch 1 into `state`, and
// returns the unit to feed first (a newline without a prime). The prime goes in chunks of
// 128, 64, ..., 1 steps, so any prime length builds at most eight primitive shapes.
std::uint32_t run_prime(nn::Predictor& network, const Vocabulary& vocabulary, std::span<const std::uint32_t> prime,
                        nn::StreamState& state);

// One sample: feed it each drawn unit's text; it says what text is final and when it ends.
class SampleStream {
 public:
  SampleStream(const Utf8Constraint& constraint, const std::vector<std::string>& stops, std::int64_t length);

  // Which ids may be drawn next (a mask over the vocabulary).
  const std::uint8_t* allowed() const { return constraint_->allowed(utf8_); }

  struct Advance {
    std::string_view release;  // text now final; valid until the next call
    bool finished = false;     // a stop string matched, or the length is reached
  };
  Advance take(std::string_view unit_text);
  void cancel() { end_.reason = StopReason::cancelled; }
  const SampleEnd& end() const { return end_; }

 private:
  const Utf8Constraint* constraint_;
  const std::vector<std::string>* stops_;
  Utf8Constraint::State utf8_;
  StopMatcher matcher_;
  std::int64_t length_;
  SampleEnd end_;
  std::string tail_;
};

}  // namespace charloom::infer
