// One loaded model used from several threads at once gives each thread what the same call gives alone.
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "charloom/generation.hpp"
#include "charloom/scoring.hpp"
#include "charloom/sentiment.hpp"
#include "random_model.hpp"

using namespace charloom;

namespace {

ModelConfig shared_config() { return testing::small_model_config(CellKind::lstm, 32); }

// What one thread does: score its texts, sample with its own seed, and classify its texts.
struct Work {
  std::vector<TextScore> scores;
  std::string sample;
  std::vector<double> sentiments;
};

Work do_work(LanguageModel& language_model, SentimentModel& classifier, int index) {
  Work work;
  std::vector<std::vector<std::uint32_t>> texts;
  for (int i = 0; i < 6; ++i) {
    const std::string text = "thread " + std::to_string(index) + " text " + std::string(10 + 7 * i, 'a' + i);
    texts.push_back(language_model.encode(text, UnknownPolicy::error));
  }
  work.scores = score_sequences(language_model, texts, 4);
  GenerationOptions options;
  options.seed = 100 + static_cast<std::uint64_t>(index);
  options.length = 120;
  generate(
      language_model, {}, options,
      [&](int, std::string_view text) {
        work.sample += text;
        return true;
      },
      [](int, const SampleEnd&) {});
  work.sentiments = classifier.score(texts, 4);
  return work;
}

}  // namespace

TEST_CASE("one loaded model scores, samples and classifies from several threads as it does alone") {
  LanguageModel language_model(testing::random_model_file(shared_config(), testing::ascii_unit_names()));
  SentimentModel classifier(testing::random_classifier_file(shared_config(), testing::ascii_unit_names()));
  constexpr int threads = 6;
  std::vector<Work> alone;
  for (int i = 0; i < threads; ++i) alone.push_back(do_work(language_model, classifier, i));

  for (int round = 0; round < 3; ++round) {
    std::vector<Work> together(threads);
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; ++i)
      workers.emplace_back([&, i] { together[i] = do_work(language_model, classifier, i); });
    for (std::thread& worker : workers) worker.join();
    for (int i = 0; i < threads; ++i) {
      CAPTURE(round);
      CAPTURE(i);
      CHECK(together[i].sample == alone[i].sample);
      CHECK(together[i].sentiments == alone[i].sentiments);
      REQUIRE(together[i].scores.size() == alone[i].scores.size());
      for (std::size_t t = 0; t < alone[i].scores.size(); ++t) {
        CHECK(together[i].scores[t].nats == alone[i].scores[t].nats);
        CHECK(together[i].scores[t].units_scored == alone[i].scores[t].units_scored);
      }
    }
  }
  // Each thread's work differs from the others': the check above would catch a mix-up.
  CHECK(alone[0].sample != alone[1].sample);
  CHECK(alone[0].sentiments != alone[1].sentiments);
}

TEST_CASE("models loaded separately run in parallel threads, each as it does alone") {
  std::vector<LanguageModel> models;
  std::vector<SentimentModel> classifiers;
  for (int i = 0; i < 3; ++i) {
    models.emplace_back(testing::random_model_file(shared_config(), testing::ascii_unit_names(), 10 + i));
    classifiers.emplace_back(testing::random_classifier_file(shared_config(), testing::ascii_unit_names(), 20 + i));
  }
  std::vector<Work> alone, together(3);
  for (int i = 0; i < 3; ++i) alone.push_back(do_work(models[i], classifiers[i], i));
  std::vector<std::thread> workers;
  for (int i = 0; i < 3; ++i) workers.emplace_back([&, i] { together[i] = do_work(models[i], classifiers[i], i); });
  for (std::thread& worker : workers) worker.join();
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(together[i].sample == alone[i].sample);
    CHECK(together[i].sentiments == alone[i].sentiments);
    for (std::size_t t = 0; t < alone[i].scores.size(); ++t)
      CHECK(together[i].scores[t].nats == alone[i].scores[t].nats);
  }
}
