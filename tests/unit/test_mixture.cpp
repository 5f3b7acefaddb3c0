// Mixtures of language models: the file round-trips its members, and the loaded model predicts
// the mean of the members' probabilities in every use (next unit, scoring, generation, states).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "charloom/errors.hpp"
#include "charloom/generation.hpp"
#include "charloom/scoring.hpp"
#include "charloom/states.hpp"
#include "charloom/stream_batch.hpp"
#include "random_model.hpp"
#include "test_helpers.hpp"

using namespace charloom;

namespace {

// Three members of one vocabulary: two depths and embeddings, each its own weights.
ModelFile member(int layers, int embedding, std::uint64_t seed) {
  ModelConfig config = testing::small_model_config();
  config.layers = layers;
  config.embedding_size = embedding;
  return testing::random_model_file(config, testing::ascii_unit_names(), seed);
}

ModelFile mixture_of(std::vector<ModelFile> members) {
  ModelFile file = members.front();
  for (std::size_t i = 1; i < members.size(); ++i) file.mixture_members.push_back(members[i]);
  return file;
}

std::string text_of(LanguageModel& model, std::uint64_t seed) {
  GenerationOptions options;
  options.length = 60;
  options.seed = seed;
  std::string text;
  generate(
      model, {}, options, [&](int, std::string_view piece) { return text += piece, true; },
      [](int, const SampleEnd&) {});
  return text;
}

}  // namespace

TEST_CASE("a mixture file round-trips its members, lists the feature and is written as format 4") {
  const ModelFile original = mixture_of({member(2, 8, 3), member(1, 6, 4), member(3, 8, 5)});
  for (const TensorStorage storage : {TensorStorage::f32, TensorStorage::bf16}) {
    testing::TempFile file("", ".safetensors");
    save_model_file(file.path(), original, storage);
    const ModelFile loaded = load_model_file(file.path());
    REQUIRE(loaded.mixture_members.size() == 2);
    CHECK(loaded.mixture_members[0].config.layers == 1);
    CHECK(loaded.mixture_members[0].config.embedding_size == 6);
    CHECK(loaded.mixture_members[1].config.layers == 3);
    CHECK(loaded.mixture_members[1].vocabulary == original.vocabulary);
    const std::vector<float>& saved = original.mixture_members[1].tensors.back().values;
    const std::vector<float>& read = loaded.mixture_members[1].tensors.back().values;
    REQUIRE(read.size() == saved.size());
    if (storage == TensorStorage::f32) CHECK(read == saved);
    for (std::size_t i = 0; i < read.size(); ++i) CHECK(read[i] == doctest::Approx(saved[i]).epsilon(1.0 / 256));
    const std::vector<std::string> features = features_of(loaded, storage);
    CHECK(std::find(features.begin(), features.end(), "mixture") != features.end());
    CHECK(testing::read_bytes(file.path()).find("\"charloom.format_version\":\"4\"") != std::string::npos);
  }
  // A file without a mixture stays format 3, which older readers read.
  testing::TempFile plain("", ".safetensors");
  save_model_file(plain.path(), member(2, 8, 3));
  CHECK(testing::read_bytes(plain.path()).find("\"charloom.format_version\":\"3\"") != std::string::npos);
}

TEST_CASE("a member that cannot share the mixture's state or vocabulary is refused, saying why") {
  const ModelFile model = member(2, 8, 3);
  ModelFile wider = member(2, 8, 4);
  wider.config.hidden = 32;
  CHECK(mixture_mismatch(model, wider).find("hidden") != std::string::npos);
  ModelFile other_words = testing::random_model_file(testing::small_model_config(), testing::ascii_unit_names(96));
  CHECK(mixture_mismatch(model, other_words).find("vocabularies differ") != std::string::npos);
  CHECK(mixture_mismatch(model, member(3, 4, 9)).empty());
  testing::TempFile file("", ".safetensors");
  CHECK_THROWS_AS(save_model_file(file.path(), mixture_of({model, wider})), Error);
}

TEST_CASE("a mixture's next-unit distribution is the mean of its members'") {
  const std::vector<ModelFile> files{member(2, 8, 3), member(1, 6, 4), member(3, 8, 5)};
  LanguageModel mixture(mixture_of(files));
  std::vector<LanguageModel> alone;
  for (const ModelFile& file : files) alone.emplace_back(file);
  // Primes of several lengths carry each member's state through several steps and chunks.
  for (const std::string prime : {"a", "The loom", "weaving threads of text, one unit at a time; and then more"}) {
    const std::vector<std::uint32_t> ids = mixture.encode(prime, UnknownPolicy::error);
    const std::vector<double> mixed = next_distribution(mixture, ids);
    std::vector<double> mean(mixed.size(), 0.0);
    for (LanguageModel& model : alone) {
      const std::vector<double> p = next_distribution(model, ids);
      for (std::size_t i = 0; i < p.size(); ++i) mean[i] += p[i] / 3.0;
    }
    for (std::size_t i = 0; i < mean.size(); ++i) CHECK(mixed[i] == doctest::Approx(mean[i]).epsilon(1e-5));
  }
}

TEST_CASE("a mixture scores a text as -log of its members' mean probability, unit by unit") {
  const std::vector<ModelFile> files{member(2, 8, 3), member(1, 6, 4)};
  LanguageModel mixture(mixture_of(files));
  LanguageModel first(files[0]), second(files[1]);
  const std::string text = "a mixture of two models scores every unit of this text";
  const std::vector<std::uint32_t> ids = mixture.encode(text, UnknownPolicy::error);
  double expected = 0.0;
  for (std::size_t t = 1; t < ids.size(); ++t) {
    const std::span<const std::uint32_t> prefix(ids.data(), t);
    expected -=
        std::log(0.5 * next_distribution(first, prefix)[ids[t]] + 0.5 * next_distribution(second, prefix)[ids[t]]);
  }
  TokenIds all(mixture.vocabulary().size());
  for (const std::uint32_t id : ids) all.push_back(id);
  // One stream in chunks of 7 steps: the state crosses chunk boundaries.
  const TextScore score = score_span(mixture, all, 0, all.size(), 1, 7);
  CHECK(score.units_scored == ids.size() - 1);
  CHECK(score.nats == doctest::Approx(expected).epsilon(1e-6));
}

TEST_CASE("a mixture of a model with itself scores and samples exactly as the model") {
  const ModelFile file = member(2, 8, 3);
  LanguageModel model(file), doubled(mixture_of({file, file}));
  const std::vector<std::uint32_t> ids =
      model.encode("the same model twice predicts what it predicts once", UnknownPolicy::error);
  TokenIds all(model.vocabulary().size());
  for (const std::uint32_t id : ids) all.push_back(id);
  CHECK(score_span(doubled, all, 0, all.size(), 2, 5).nats ==
        doctest::Approx(score_span(model, all, 0, all.size(), 2, 5).nats).epsilon(1e-9));
  CHECK(text_of(doubled, 7) == text_of(model, 7));
}

TEST_CASE("a mixture generates the same text alone and in a continuous batch, and states hold every member") {
  LanguageModel mixture(mixture_of({member(2, 8, 3), member(1, 6, 4)}));
  CHECK(text_of(mixture, 11) == text_of(mixture, 11));
  StreamBatch batch(mixture);
  StreamSettings settings;
  settings.seed = 11;
  settings.length = 60;
  const std::uint64_t id = batch.add({}, settings);
  batch.add(mixture.encode("other", UnknownPolicy::error), settings);
  std::string text;
  for (bool done = false; !done;) {
    for (const StreamOutput& out : batch.step()) {
      if (out.id != id) continue;
      text += out.text;
      done = out.finished;
    }
  }
  CHECK(text == text_of(mixture, 11));
  const TextStates states = text_states(mixture, mixture.encode("abc", UnknownPolicy::error));
  CHECK(states.layers == 3);
  CHECK(states.hidden_states.size() == 3 * 3 * 24);
}
