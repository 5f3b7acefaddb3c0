// Priming and one sample's bookkeeping, shared by generate() and StreamBatch.
#include "infer/sample_stream.hpp"

#include "charloom/errors.hpp"

namespace charloom::infer {

std::uint32_t run_prime(nn::Predictor& network, const Vocabulary& vocabulary, std::span<const std::uint32_t> prime,
                        nn::StreamState& state) {
  state.reset(network.state_config(), 1);
  if (prime.empty()) {
    const auto newline = vocabulary.find("\n");
    if (!newline) throw UsageError("the model has no newline unit to start from; pass a prime (--prime TEXT)");
    return *newline;
  }
  // The largest power-of-two chunks that fit: a server's prompts of every length then share
  // eight primitive shapes instead of building one per length.
  const std::size_t total = prime.size() - 1;
  std::size_t at = 0;
  for (std::size_t chunk = 128; chunk >= 1; chunk /= 2)
    for (; total - at >= chunk; at += chunk)
      network.forward_logits(prime.data() + at, static_cast<int>(chunk), 1, state);
  return prime.back();
}

SampleStream::SampleStream(const Utf8Constraint& constraint, const std::vector<std::string>& stops, std::int64_t length)
    : constraint_(&constraint), stops_(&stops), matcher_(stops), length_(length) {}

SampleStream::Advance SampleStream::take(std::string_view unit_text) {
  utf8_ = constraint_->advance(utf8_, unit_text);
  ++end_.units;
  const StopMatcher::Step matched = matcher_.append(unit_text);
  if (matched.stop >= 0) {
    end_.reason = StopReason::stop_string;
    end_.stop = (*stops_)[static_cast<std::size_t>(matched.stop)];
    return {matched.release, true};
  }
  if (end_.units >= length_ && utf8_.complete()) {
    end_.reason = StopReason::length;
    tail_.assign(matched.release);
    tail_.append(matcher_.flush());
    return {tail_, true};
  }
  return {matched.release, false};
}

}  // namespace charloom::infer
