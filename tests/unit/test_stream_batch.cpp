// Continuous batching: streams that join, leave and are cancelled between steps each give
// exactly the text generate() gives them alone, and their log-probabilities are the model's.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "charloom/errors.hpp"
#include "charloom/generation.hpp"
#include "charloom/scoring.hpp"
#include "charloom/stream_batch.hpp"
#include "random_model.hpp"

using namespace charloom;

namespace {

ModelConfig small_config() { return testing::small_model_config(); }

// Sample `settings.sample` of generate() with the stream's own settings, run alone.
std::string alone(LanguageModel& model, const std::vector<std::uint32_t>& prime, const StreamSettings& settings,
                  SampleEnd& end) {
  GenerationOptions options{settings.sampling, settings.length, settings.sample + 1, settings.seed, settings.stops};
  std::string text;
  generate(
      model, prime, options,
      [&](int i, std::string_view piece) {
        if (i == settings.sample) text += piece;
        return true;
      },
      [&](int i, const SampleEnd& e) {
        if (i == settings.sample) end = e;
      });
  return text;
}

struct Planned {
  int joins_at;  // the step before which the stream is added
  std::string prime;
  StreamSettings settings;
};

StreamSettings settings_of(std::uint64_t seed, std::int64_t length, double temperature = 1.0, int top_k = 0,
                           double top_p = 1.0, int sample = 0, std::vector<std::string> stops = {}) {
  StreamSettings settings;
  settings.seed = seed;
  settings.length = length;
  settings.sampling = {temperature, top_k, top_p};
  settings.sample = sample;
  settings.stops = std::move(stops);
  return settings;
}

}  // namespace

TEST_CASE("streams joining and leaving between steps each give generate()'s text for their seed") {
  LanguageModel model(testing::random_model_file(small_config(), testing::ascii_unit_names()));
  std::vector<Planned> plan{
      {0, "The loom", settings_of(1, 40)},
      {0, "", settings_of(2, 25, 0.7, 10)},
      {3, "Warp and weft", settings_of(3, 60, 1.2, 0, 0.9)},
      {3, "x", settings_of(9, 30, 1.0, 0, 1.0, 2)},  // the third sample of seed 9
      {5,
       "A much longer prime, to take a few chunks: thread by thread the cloth grows on the loom, "
       "back and forth, all day long and into the night, while the shuttle flies.",
       settings_of(4, 50)},
      {7, "Stop", settings_of(5, 200, 1.0, 0, 1.0, 0, {"e", "t", "o", "zz"})},
      {20, "late", settings_of(6, 10, 0.0)},
  };
  for (int extra = 0; extra < 6; ++extra)  // more than eight at once: a padded batch of 16
    plan.push_back({4, "more", settings_of(100 + extra, 35 + extra)});

  StreamBatch batch(model);
  std::map<std::uint64_t, std::size_t> which;
  std::vector<std::string> texts(plan.size());
  std::vector<SampleEnd> ends(plan.size());
  std::size_t finished = 0;
  for (int step = 0; finished < plan.size(); ++step) {
    REQUIRE(step < 1000);
    for (std::size_t i = 0; i < plan.size(); ++i)
      if (plan[i].joins_at == step)
        which[batch.add(model.encode(plan[i].prime, UnknownPolicy::error), plan[i].settings)] = i;
    for (const StreamOutput& out : batch.step()) {
      const std::size_t i = which.at(out.id);
      texts[i] += out.text;
      if (out.finished) {
        ends[i] = out.end;
        ++finished;
      }
    }
  }
  CHECK(batch.size() == 0);
  bool some_stop = false;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    CAPTURE(i);
    SampleEnd end;
    CHECK(texts[i] == alone(model, model.encode(plan[i].prime, UnknownPolicy::error), plan[i].settings, end));
    CHECK(ends[i].reason == end.reason);
    CHECK(ends[i].units == end.units);
    CHECK(ends[i].stop == end.stop);
    some_stop = some_stop || end.reason == StopReason::stop_string;
  }
  CHECK(some_stop);
}

TEST_CASE("a cancelled stream leaves at the next step; the others go on unchanged") {
  LanguageModel model(testing::random_model_file(small_config(), testing::ascii_unit_names()));
  StreamBatch batch(model);
  const std::vector<std::uint32_t> prime = model.encode("loom", UnknownPolicy::error);
  const std::uint64_t kept = batch.add(prime, settings_of(11, 30));
  const std::uint64_t dropped = batch.add(prime, settings_of(12, 30));
  std::string text;
  for (int step = 0; step < 5; ++step)
    for (const StreamOutput& out : batch.step()) text += out.id == kept ? out.text : "";
  batch.cancel(dropped);
  batch.cancel(12345);  // unknown: ignored
  const std::vector<StreamOutput>& outs = batch.step();
  REQUIRE(outs.size() == 2);
  CHECK(outs[0].id == dropped);
  CHECK(outs[0].finished);
  CHECK(outs[0].end.reason == StopReason::cancelled);
  CHECK(outs[0].end.units == 5);
  CHECK(batch.size() == 1);
  text += outs[1].text;
  while (batch.size() > 0)
    for (const StreamOutput& out : batch.step()) text += out.text;
  SampleEnd end;
  CHECK(text == alone(model, prime, settings_of(11, 30), end));
}

TEST_CASE("log-probabilities are the model's, and their units spell the text, stop strings held back") {
  LanguageModel model(testing::random_model_file(small_config(), testing::ascii_unit_names(), 5));
  const std::string prime_text = "Thread";
  const std::vector<std::uint32_t> prime = model.encode(prime_text, UnknownPolicy::error);
  StreamSettings settings = settings_of(21, 80, 1.0, 0, 1.0, 0, {"e "});
  settings.logprobs = 3;
  StreamBatch batch(model);
  batch.add(prime, settings);
  std::string text, spelled;
  double logprob = 0.0;
  SampleEnd end;
  while (batch.size() > 0) {
    for (const StreamOutput& out : batch.step()) {
      text += out.text;
      for (const UnitLogprob& unit : out.units) {
        spelled += unit.text;
        logprob += unit.logprob;
        REQUIRE(unit.top.size() == 3);
        CHECK(unit.top[0].second >= unit.top[1].second);
        CHECK(unit.top[1].second >= unit.top[2].second);
        CHECK(unit.logprob <= unit.top[0].second + 1e-12);
      }
      if (out.finished) end = out.end;
    }
  }
  CHECK(spelled == text);
  // The units behind the text, scored after the prime, cost exactly the log-probabilities.
  const std::vector<TextScore> scores = score_sequences(
      model, {model.encode(prime_text + text, UnknownPolicy::error), model.encode(prime_text, UnknownPolicy::error)},
      1);
  CHECK(-logprob == doctest::Approx(scores[0].nats - scores[1].nats).epsilon(1e-4));
  CHECK(text.size() > 0);
}

TEST_CASE("stream settings out of range are refused, naming the field") {
  LanguageModel model(testing::random_model_file(small_config(), testing::ascii_unit_names()));
  StreamBatch batch(model);
  StreamSettings settings;
  settings.logprobs = 21;
  CHECK_THROWS_WITH_AS(batch.add({}, settings), doctest::Contains("logprobs"), UsageError);
  settings.logprobs = -1;
  settings.sampling.top_p = 0.0;
  CHECK_THROWS_WITH_AS(batch.add({}, settings), doctest::Contains("top-p"), UsageError);
  CHECK(batch.size() == 0);
}
