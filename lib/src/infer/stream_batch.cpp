// Continuous batching: each stream keeps its own recurrent state between steps; a step
// gathers every state into one padded batch, runs one forward call and scatters them back.
#include "charloom/stream_batch.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <deque>
#include <mutex>
#include <numeric>

#include "charloom/errors.hpp"
#include "infer/language_model_impl.hpp"
#include "infer/sample_stream.hpp"
#include "infer/sampler.hpp"
#include "nn/random.hpp"

namespace charloom {

void StreamSettings::validate() const {
  GenerationOptions{sampling, length, 1, seed, stops}.validate();
  if (sample < 0) throw UsageError("sample must be 0 or more, got " + std::to_string(sample));
  if (logprobs < -1 || logprobs > 20)
    throw UsageError("logprobs must be from 0 to 20, got " + std::to_string(logprobs));
}

namespace {

// The batch a step runs at for `streams` streams: few shapes, little padding.
int padded_batch(std::size_t streams) {
  if (streams <= 8) return static_cast<int>(std::bit_ceil(streams));
  return static_cast<int>((streams + 7) / 8 * 8);
}

// Log-probabilities of one row of logits, the drawn id's and the `count` most likely.
UnitLogprob unit_logprob(const float* logits, std::size_t width, std::uint32_t id, int count,
                         const Vocabulary& vocabulary) {
  const float peak = *std::max_element(logits, logits + width);
  double total = 0.0;
  for (std::size_t i = 0; i < width; ++i) total += std::exp(static_cast<double>(logits[i]) - peak);
  const double shift = static_cast<double>(peak) + std::log(total);
  UnitLogprob unit{std::string(vocabulary.text_of(id)), logits[id] - shift, {}};
  std::vector<std::uint32_t> order(width);
  std::iota(order.begin(), order.end(), 0u);
  const std::size_t kept = std::min<std::size_t>(static_cast<std::size_t>(count), width);
  std::partial_sort(
      order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kept), order.end(),
      [&](std::uint32_t a, std::uint32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  for (std::size_t i = 0; i < kept; ++i) unit.top.emplace_back(vocabulary.text_of(order[i]), logits[order[i]] - shift);
  return unit;
}

}  // namespace

struct StreamBatch::Impl {
  struct Stream {
    std::uint64_t id;
    StreamSettings settings;
    infer::Sampler sampler;
    infer::SampleStream sample;
    std::uint32_t next = 0;  // the unit the next step feeds
    std::uint64_t step = 0;
    std::vector<std::vector<float>> h, c;  // per layer, the stream's own row
    bool cancelled = false, finished = false;
    // Units drawn whose text a stop string still holds back, and released bytes not yet
    // matched to a unit (a unit's text can be released in two pieces).
    std::deque<UnitLogprob> pending;
    std::size_t credit = 0;

    Stream(std::uint64_t id_, const StreamSettings& settings_, const infer::Utf8Constraint& constraint,
           std::size_t width)
        : id(id_),
          settings(settings_),
          sampler(settings.sampling, width),
          sample(constraint, settings.stops, settings.length) {}
  };

  LanguageModel* model;
  infer::Utf8Constraint constraint;
  std::vector<std::unique_ptr<Stream>> streams;  // stable addresses: SampleStream points into settings
  std::uint64_t next_id = 1;
  nn::StreamState state;
  std::vector<std::uint32_t> inputs;
  std::vector<StreamOutput> outputs;

  explicit Impl(LanguageModel& model_) : model(&model_), constraint(model_.vocabulary()) {}

  std::size_t width() const { return static_cast<std::size_t>(model->config().vocabulary_size); }
  std::size_t hidden() const { return static_cast<std::size_t>(model->config().hidden); }

  void gather(int batch);
  void scatter();
  void draw(Stream& stream, const float* logits, StreamOutput& out);
};

void StreamBatch::Impl::gather(int batch) {
  if (state.batch != batch) state.reset(model->impl().network.state_config(), batch);
  inputs.assign(static_cast<std::size_t>(batch), 0u);
  const std::size_t row = hidden();
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const Stream& stream = *streams[i];
    inputs[i] = stream.next;
    for (std::size_t layer = 0; layer < stream.h.size(); ++layer) {
      std::copy(stream.h[layer].begin(), stream.h[layer].end(),
                state.h[layer].begin() + static_cast<std::ptrdiff_t>(i * row));
      if (!stream.c.empty())
        std::copy(stream.c[layer].begin(), stream.c[layer].end(),
                  state.c[layer].begin() + static_cast<std::ptrdiff_t>(i * row));
    }
  }
}

void StreamBatch::Impl::scatter() {
  const std::size_t row = hidden();
  for (std::size_t i = 0; i < streams.size(); ++i) {
    Stream& stream = *streams[i];
    for (std::size_t layer = 0; layer < stream.h.size(); ++layer) {
      const auto h = state.h[layer].begin() + static_cast<std::ptrdiff_t>(i * row);
      std::copy(h, h + static_cast<std::ptrdiff_t>(row), stream.h[layer].begin());
      if (stream.c.empty()) continue;
      const auto c = state.c[layer].begin() + static_cast<std::ptrdiff_t>(i * row);
      std::copy(c, c + static_cast<std::ptrdiff_t>(row), stream.c[layer].begin());
    }
  }
}

void StreamBatch::Impl::draw(Stream& stream, const float* logits, StreamOutput& out) {
  const Vocabulary& vocabulary = model->vocabulary();
  const float u =
      nn::uniform01(stream.settings.seed, static_cast<std::uint64_t>(stream.settings.sample), stream.step++);
  const std::uint32_t id = stream.sampler.pick(logits, stream.sample.allowed(), u);
  stream.next = id;
  if (stream.settings.logprobs >= 0)
    stream.pending.push_back(unit_logprob(logits, width(), id, stream.settings.logprobs, vocabulary));
  const infer::SampleStream::Advance advance = stream.sample.take(vocabulary.text_of(id));
  out.text.assign(advance.release);
  stream.credit += advance.release.size();
  while (!stream.pending.empty() && stream.credit >= stream.pending.front().text.size()) {
    stream.credit -= stream.pending.front().text.size();
    out.units.push_back(std::move(stream.pending.front()));
    stream.pending.pop_front();
  }
  out.finished = advance.finished;
  if (out.finished) out.end = stream.sample.end();
}

StreamBatch::StreamBatch(LanguageModel& model) : impl_(std::make_unique<Impl>(model)) {}
StreamBatch::~StreamBatch() = default;
StreamBatch::StreamBatch(StreamBatch&&) noexcept = default;
StreamBatch& StreamBatch::operator=(StreamBatch&&) noexcept = default;

std::uint64_t StreamBatch::add(std::span<const std::uint32_t> prime, const StreamSettings& settings) {
  settings.validate();
  Impl& impl = *impl_;
  for (std::uint32_t id : prime)
    if (id >= impl.width()) throw Error("prime id " + std::to_string(id) + " is outside the vocabulary");
  auto stream = std::make_unique<Impl::Stream>(impl.next_id, settings, impl.constraint, impl.width());
  nn::StreamState primed;
  {
    const std::lock_guard<std::mutex> running(impl.model->impl().running);
    stream->next = infer::run_prime(impl.model->impl().network, impl.model->vocabulary(), prime, primed);
  }
  // The network's carried buffers may be longer than one row: keep the row.
  const auto row = static_cast<std::ptrdiff_t>(impl.hidden());
  for (const std::vector<float>& h : primed.h) stream->h.emplace_back(h.begin(), h.begin() + row);
  for (const std::vector<float>& c : primed.c) stream->c.emplace_back(c.begin(), c.begin() + row);
  impl.streams.push_back(std::move(stream));
  return impl.next_id++;
}

void StreamBatch::cancel(std::uint64_t id) {
  for (auto& stream : impl_->streams)
    if (stream->id == id) stream->cancelled = true;
}

std::size_t StreamBatch::size() const { return impl_->streams.size(); }

void StreamBatch::prepare(int streams) {
  Impl& impl = *impl_;
  const std::lock_guard<std::mutex> running(impl.model->impl().running);
  nn::Mixture& network = impl.model->impl().network;
  const std::vector<std::uint32_t> zeros(256, 0u);
  nn::StreamState scratch;
  infer::run_prime(network, impl.model->vocabulary(), zeros, scratch);  // chunks of 128 down to 1
  for (int batch = 1; batch <= padded_batch(static_cast<std::size_t>(std::max(streams, 1)));
       batch = padded_batch(static_cast<std::size_t>(batch) + 1)) {
    scratch.reset(network.state_config(), batch);
    network.forward_logits(zeros.data(), 1, batch, scratch);
  }
}

const std::vector<StreamOutput>& StreamBatch::step() {
  Impl& impl = *impl_;
  impl.outputs.clear();
  // The cancelled leave first, so that no step is spent on them.
  std::erase_if(impl.streams, [&](const std::unique_ptr<Impl::Stream>& stream) {
    if (!stream->cancelled) return false;
    stream->sample.cancel();
    impl.outputs.push_back({stream->id, {}, {}, true, stream->sample.end()});
    return true;
  });
  if (impl.streams.empty()) return impl.outputs;
  const int batch = padded_batch(impl.streams.size());
  impl.gather(batch);
  {
    const std::lock_guard<std::mutex> running(impl.model->impl().running);
    const float* logits = impl.model->impl().network.forward_logits(impl.inputs.data(), 1, batch, impl.state);
    impl.scatter();
    for (std::size_t i = 0; i < impl.streams.size(); ++i) {
      impl.outputs.push_back({impl.streams[i]->id, {}, {}, false, {}});
      impl.draw(*impl.streams[i], logits + i * impl.width(), impl.outputs.back());
      impl.streams[i]->finished = impl.outputs.back().finished;
    }
  }
  std::erase_if(impl.streams, [](const std::unique_ptr<Impl::Stream>& stream) { return stream->finished; });
  return impl.outputs;
}

}  // namespace charloom
