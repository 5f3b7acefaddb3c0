// Continuous batching: independent sampling streams of one language model, stepped together
// as one batch, joining and leaving between steps. A server's requests share every step.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "charloom/generation.hpp"

namespace charloom {

struct StreamSettings {
  SamplingOptions sampling;
  std::int64_t length = 1000;  // units to generate
  std::uint64_t seed = 0;
  // The draws are those of generate()'s sample `sample` with the same seed: a stream with
  // sample i repeats that sample's text, whatever else shares its steps.
  int sample = 0;
  std::vector<std::string> stops;
  // -1: no log-probabilities; 0 to 20: each unit's, with this many most likely alternatives.
  int logprobs = -1;
  void validate() const;  // UsageError naming the field, as GenerationOptions::validate
};

// A unit drawn, with its log-probability under the model (temperature 1, every unit) and the
// most likely units at that step.
struct UnitLogprob {
  std::string text;
  double logprob = 0.0;
  std::vector<std::pair<std::string, double>> top;
};

// What one step gave one stream.
struct StreamOutput {
  std::uint64_t id = 0;
  std::string text;                // text now final (may be empty while a stop string could match)
  std::vector<UnitLogprob> units;  // with logprobs: the units `text` is made of
  bool finished = false;           // then `end` says why; the stream has left the batch
  SampleEnd end;
};

class StreamBatch {
 public:
  explicit StreamBatch(LanguageModel& model);
  ~StreamBatch();
  StreamBatch(StreamBatch&&) noexcept;
  StreamBatch& operator=(StreamBatch&&) noexcept;

  // Runs the prime through the model (as generate() does) and adds a stream; returns its id.
  std::uint64_t add(std::span<const std::uint32_t> prime, const StreamSettings& settings);
  // The stream leaves at the next step, finished as cancelled. Unknown ids are ignored.
  void cancel(std::uint64_t id);
  std::size_t size() const;  // streams that have not finished
  // Builds the primitives of every shape a step with up to `streams` streams, or any prime,
  // will use, so that no request pays for building them. Changes no stream.
  void prepare(int streams);

  // Draws one unit for every stream in one forward call (batches padded to 1, 2, 4, 8 or a
  // multiple of 8, so that only a few primitive shapes are ever built). Returns one output
  // per stream, valid until the next call; finished and cancelled streams leave.
  const std::vector<StreamOutput>& step();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace charloom
