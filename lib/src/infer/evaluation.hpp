// Scoring a span of ids with a network: the loss over (nearly) every unit of the span.
#pragma once

#include <cstdint>
#include <vector>

#include "charloom/corpus.hpp"
#include "charloom/run_events.hpp"
#include "nn/predictor.hpp"

namespace charloom::infer {

struct SpanScore {
  double nats = 0.0;         // summed -log p over the scored units
  std::uint64_t units = 0;   // units predicted
  bool interrupted = false;  // a stop request ended the pass early: the figures are partial
  double nats_per_unit() const { return units == 0 ? 0.0 : nats / static_cast<double>(units); }
};

// Splits ids [begin, end) into at most `streams` contiguous streams, each at least `steps`
// long (or one stream), and scores them `steps`
// at a time (a shorter last chunk included), carrying state from the zero state. At most
// streams - 1 units at the very end go unscored. Returns zero units if the span is too short.
// With parts > 1 it scores only part `part` of the streams (a contiguous share), so that the
// processes of a data-parallel run can split the work and sum their scores. A `stop` request
// ends the pass between chunks.
SpanScore score_span(nn::Predictor& network, const TokenIds& ids, std::size_t begin, std::size_t end, int streams,
                     int steps, int part = 0, int parts = 1, const StopRequest* stop = nullptr);

// Scores each sequence on its own from the zero state, every unit after the first predicted.
// Sequences run `batch` at a time, longest first, in chunks of a fixed number of steps, so
// that every call has one of a few shapes and reuses its primitives.
std::vector<SpanScore> score_sequences(nn::Predictor& network, const std::vector<std::vector<std::uint32_t>>& sequences,
                                       int batch);

}  // namespace charloom::infer
