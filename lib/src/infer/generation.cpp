// The sampling loop: prime once at batch 1, copy its state to every sample, then step all
// samples together, one unit each per step, through preallocated buffers.
#include "charloom/generation.hpp"

#include <algorithm>
#include <cmath>

#include "charloom/errors.hpp"
#include "infer/language_model_impl.hpp"
#include "infer/sample_stream.hpp"
#include "infer/sampler.hpp"
#include "nn/random.hpp"

namespace charloom {

void SamplingOptions::validate() const {
  if (!(temperature >= 0.0 && std::isfinite(temperature)))
    throw UsageError("--temperature must be 0 (argmax) or positive, got " + std::to_string(temperature));
  if (top_k < 0) throw UsageError("--top-k must be 0 (off) or positive, got " + std::to_string(top_k));
  if (!(top_p > 0.0 && top_p <= 1.0)) throw UsageError("--top-p must be in (0, 1], got " + std::to_string(top_p));
}

void GenerationOptions::validate() const {
  sampling.validate();
  if (length < 1 || length > 1'000'000'000)
    throw UsageError("--length must be from 1 to 1000000000, got " + std::to_string(length));
  if (samples < 1 || samples > 4096)
    throw UsageError("--samples must be from 1 to 4096, got " + std::to_string(samples));
  for (const std::string& stop : stops)
    if (stop.empty()) throw UsageError("--stop must not be empty");
}

std::string_view to_string(StopReason reason) {
  switch (reason) {
    case StopReason::length:
      return "length";
    case StopReason::stop_string:
      return "stop";
    case StopReason::cancelled:
      return "cancelled";
  }
  return "length";
}

void generate(LanguageModel& model, std::span<const std::uint32_t> prime, const GenerationOptions& options,
              const TextCallback& on_text, const EndCallback& on_end) {
  options.validate();
  const std::lock_guard<std::mutex> running(model.impl().running);
  nn::Mixture& network = model.impl().network;
  const Vocabulary& vocabulary = model.vocabulary();
  const ModelConfig& config = network.state_config();
  const int samples = options.samples;
  const std::size_t width = static_cast<std::size_t>(config.vocabulary_size);
  for (std::uint32_t id : prime)
    if (id >= width) throw Error("prime id " + std::to_string(id) + " is outside the vocabulary");

  nn::StreamState primed, state;
  const std::uint32_t first = infer::run_prime(network, vocabulary, prime, primed);
  state.reset(config, samples);
  const std::size_t hidden = static_cast<std::size_t>(config.hidden);
  for (int layer = 0; layer < config.layers; ++layer) {
    for (int i = 0; i < samples; ++i) {
      std::copy_n(primed.h[layer].begin(), hidden, state.h[layer].begin() + static_cast<std::ptrdiff_t>(i * hidden));
      if (!primed.c.empty())
        std::copy_n(primed.c[layer].begin(), hidden, state.c[layer].begin() + static_cast<std::ptrdiff_t>(i * hidden));
    }
  }

  std::vector<std::uint32_t> inputs(static_cast<std::size_t>(samples), first);
  const infer::Utf8Constraint constraint(vocabulary);
  infer::Sampler sampler(options.sampling, width);
  std::vector<infer::SampleStream> streams(static_cast<std::size_t>(samples),
                                           infer::SampleStream(constraint, options.stops, options.length));
  std::vector<char> done(static_cast<std::size_t>(samples), 0);
  int active = samples;
  const auto finish = [&](int i) {
    done[i] = 1;
    --active;
    on_end(i, streams[i].end());
  };
  const auto cancel_all = [&] {
    for (int i = 0; i < samples; ++i) {
      if (done[i]) continue;
      streams[i].cancel();
      finish(i);
    }
  };

  for (std::uint64_t step = 0; active > 0; ++step) {
    const float* logits = network.forward_logits(inputs.data(), 1, samples, state);
    for (int i = 0; i < samples; ++i) {
      if (done[i]) continue;
      const float u = nn::uniform01(options.seed, static_cast<std::uint64_t>(i), step);
      const std::uint32_t id = sampler.pick(logits + static_cast<std::size_t>(i) * width, streams[i].allowed(), u);
      inputs[i] = id;
      const infer::SampleStream::Advance advance = streams[i].take(vocabulary.text_of(id));
      if (!advance.release.empty() && !on_text(i, advance.release)) return cancel_all();
      if (advance.finished) finish(i);
    }
  }
}

}  // namespace charloom
