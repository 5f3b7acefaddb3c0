// Sampling text from a language model: priming, temperature, top-k, top-p, stop strings,
// many samples as one batch, and output that is always valid UTF-8.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "charloom/language_model.hpp"

namespace charloom {

struct SamplingOptions {
  double temperature = 1.0;  // 0 picks the most likely unit (argmax)
  int top_k = 0;             // keep the k most likely units; 0 keeps all
  double top_p = 1.0;        // keep the smallest set of units whose mass reaches p
  // Throws UsageError naming the flag when a value is out of range.
  void validate() const;
};

struct GenerationOptions {
  SamplingOptions sampling;
  std::int64_t length = 1000;  // units to generate per sample
  int samples = 1;             // drawn together as one batch
  std::uint64_t seed = 0;
  std::vector<std::string> stops;  // a sample ends at the first match of any (not emitted)
  void validate() const;
};

enum class StopReason { length, stop_string, cancelled };
std::string_view to_string(StopReason reason);

struct SampleEnd {
  StopReason reason = StopReason::length;
  std::int64_t units = 0;  // units generated, a stop string's own units included
  std::string stop;        // the stop string that matched
};

// Receives a sample's text piece by piece as soon as it is final; returning false cancels
// every sample (a closed pipe, say).
using TextCallback = std::function<bool(int sample, std::string_view text)>;
using EndCallback = std::function<void(int sample, const SampleEnd& end)>;

// Runs `prime` through the model once, then draws options.samples continuations in one
// batch. Without a prime, sampling starts as if after a newline. Sample i's draws depend
// only on the seed, i and the step, so the same seed and thread count repeat the output.
// Byte-level models are kept to valid UTF-8 by allowing only bytes that continue it, and
// a sample at its length finishes its last character. The unknown unit is never drawn.
void generate(LanguageModel& model, std::span<const std::uint32_t> prime, const GenerationOptions& options,
              const TextCallback& on_text, const EndCallback& on_end);

}  // namespace charloom
