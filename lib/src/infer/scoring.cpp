// The public scoring calls: the library's batched scorers on a loaded model's network.
#include "charloom/scoring.hpp"

#include "charloom/errors.hpp"
#include "infer/evaluation.hpp"
#include "infer/language_model_impl.hpp"

namespace charloom {
namespace {

TextScore to_text_score(const infer::SpanScore& score) { return TextScore{score.units, score.nats}; }

}  // namespace

TextScore score_span(LanguageModel& model, const TokenIds& ids, std::size_t begin, std::size_t end, int streams,
                     int steps) {
  if (streams < 1 || steps < 1) throw UsageError("streams and steps must be positive");
  const std::lock_guard<std::mutex> running(model.impl().running);
  return to_text_score(infer::score_span(model.impl().network, ids, begin, std::min(end, ids.size()), streams, steps));
}

std::vector<TextScore> score_sequences(LanguageModel& model, const std::vector<std::vector<std::uint32_t>>& sequences,
                                       int batch) {
  if (batch < 1) throw UsageError("the batch must be positive");
  for (const auto& sequence : sequences) check_unit_ids(model, sequence);
  std::vector<TextScore> result;
  const std::lock_guard<std::mutex> running(model.impl().running);
  for (const infer::SpanScore& score : infer::score_sequences(model.impl().network, sequences, batch))
    result.push_back(to_text_score(score));
  return result;
}

}  // namespace charloom
