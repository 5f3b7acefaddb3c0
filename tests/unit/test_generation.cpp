// Generation and scoring through the public API: determinism, batching, stop strings, valid
// UTF-8 from byte models, and scores against a direct double-precision computation.
#include <doctest/doctest.h>

#include <dnnl.hpp>

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "charloom/errors.hpp"
#include "charloom/generation.hpp"
#include "charloom/scoring.hpp"
#include "charloom/sentiment.hpp"
#include "format/model_layout.hpp"
#include "random_model.hpp"
#include "reference_model.hpp"
#include "test_helpers.hpp"

using namespace charloom;

namespace {

ModelConfig small_config(CellKind cell = CellKind::lstm) { return testing::small_model_config(cell); }

struct Generated {
  std::vector<std::string> texts;
  std::vector<SampleEnd> ends;
};

Generated run(LanguageModel& model, const GenerationOptions& options, const std::vector<std::uint32_t>& prime = {}) {
  Generated result;
  result.texts.resize(static_cast<std::size_t>(options.samples));
  result.ends.resize(static_cast<std::size_t>(options.samples));
  generate(
      model, prime, options,
      [&](int i, std::string_view text) {
        result.texts[i] += text;
        return true;
      },
      [&](int i, const SampleEnd& end) { result.ends[i] = end; });
  return result;
}

GenerationOptions options_with(std::uint64_t seed, int samples = 1, std::int64_t length = 200,
                               double temperature = 1.0) {
  GenerationOptions options;
  options.seed = seed;
  options.samples = samples;
  options.length = length;
  options.sampling.temperature = temperature;
  return options;
}

}  // namespace

TEST_CASE("the same seed gives the same samples; another seed gives others") {
  LanguageModel model(testing::random_model_file(small_config(), testing::ascii_unit_names()));
  const Generated a = run(model, options_with(7, 3)), b = run(model, options_with(7, 3)),
                  c = run(model, options_with(8, 3));
  CHECK(a.texts == b.texts);
  CHECK(a.texts != c.texts);
  CHECK(a.texts[0] != a.texts[1]);  // samples of one batch draw their own numbers
  for (const SampleEnd& end : a.ends) {
    CHECK(end.reason == StopReason::length);
    CHECK(end.units == 200);
  }
  CHECK(a.texts[0].size() == 200);  // ASCII units: one byte each
}

TEST_CASE("argmax samples in a batch all equal the argmax of one sample, and a prime changes them") {
  LanguageModel model(testing::random_model_file(small_config(CellKind::gru), testing::ascii_unit_names()));
  const Generated one = run(model, options_with(1, 1, 120, 0.0)), many = run(model, options_with(2, 5, 120, 0.0));
  for (const std::string& text : many.texts) CHECK(text == one.texts[0]);
  const std::vector<std::uint32_t> prime = model.encode("The loom", UnknownPolicy::error);
  const Generated primed = run(model, options_with(1, 1, 120, 0.0), prime);
  CHECK(primed.texts[0] != one.texts[0]);
}

TEST_CASE("a stop string ends the sample before its first match") {
  LanguageModel model(testing::random_model_file(small_config(), testing::ascii_unit_names()));
  const std::string full = run(model, options_with(3, 1, 300)).texts[0];
  const std::string stop = full.substr(150, 3);
  GenerationOptions options = options_with(3, 1, 300);
  options.stops = {"\x01never", stop};
  const Generated stopped = run(model, options);
  CHECK(stopped.texts[0] == full.substr(0, full.find(stop)));
  CHECK(stopped.ends[0].reason == StopReason::stop_string);
  CHECK(stopped.ends[0].stop == stop);
  CHECK(stopped.ends[0].units == static_cast<std::int64_t>(full.find(stop) + stop.size()));
}

TEST_CASE("a callback returning false cancels every sample") {
  LanguageModel model(testing::random_model_file(small_config(), testing::ascii_unit_names()));
  int pieces = 0;
  std::map<int, StopReason> reasons;
  generate(
      model, {}, options_with(4, 3, 1000), [&](int, std::string_view) { return ++pieces < 5; },
      [&](int i, const SampleEnd& end) { reasons[i] = end.reason; });
  CHECK(pieces == 5);
  CHECK(reasons.size() == 3);
  for (const auto& [sample, reason] : reasons) CHECK(reason == StopReason::cancelled);
}

TEST_CASE("a byte-level model's samples are valid UTF-8, even from random weights at a high temperature") {
  ModelConfig config = small_config();
  config.text.unit = TextUnit::byte;
  LanguageModel model(testing::random_model_file(config, testing::all_byte_names()));
  const Generated hot = run(model, options_with(5, 8, 400, 2.0));
  std::size_t multibyte = 0;
  for (std::size_t i = 0; i < hot.texts.size(); ++i) {
    CAPTURE(i);
    CHECK_NOTHROW(split_units(hot.texts[i], testing::with_unit(TextUnit::codepoint, Normalization::none)));
    // A sample at its length finishes its last character: at most three bytes more.
    CHECK(hot.ends[i].units >= 400);
    CHECK(hot.ends[i].units <= 403);
    for (char c : hot.texts[i]) multibyte += static_cast<unsigned char>(c) >= 0x80;
  }
  CHECK(multibyte > 100);  // the test exercised multi-byte sequences
}

TEST_CASE("per-sequence scores equal a direct double-precision computation, however they are batched") {
  const ModelConfig config = [] {
    ModelConfig c = small_config();
    c.vocabulary_size = static_cast<int>(testing::ascii_unit_names().size());
    return c;
  }();
  const ModelFile file = testing::random_model_file(config, testing::ascii_unit_names(), 21);
  LanguageModel model(file);
  std::vector<float> flat;
  const nn::ParameterLayout layout = format::language_model_layout(model.config());
  flat.resize(layout.total());
  for (const auto& info : layout.tensors())
    std::copy(file.find(info.name)->values.begin(), file.find(info.name)->values.end(), flat.begin() + info.offset);
  const testing::ReferenceModel reference(model.config(), layout, flat);

  std::vector<std::vector<std::uint32_t>> lines;
  for (const char* text : {"Thread by thread, the cloth grows.", "", "A", "Warp and weft.",
                           "The shuttle flies across the loom, back and forth, all day long and into the night."})
    lines.push_back(model.encode(text, UnknownPolicy::error));
  for (int batch : {1, 2, 64}) {
    CAPTURE(batch);
    const std::vector<TextScore> scores = score_sequences(model, lines, batch);
    REQUIRE(scores.size() == lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
      CAPTURE(i);
      const std::size_t steps = lines[i].size() < 2 ? 0 : lines[i].size() - 1;
      CHECK(scores[i].units_scored == steps);
      if (steps == 0) {
        CHECK(scores[i].nats == 0.0);
        continue;
      }
      const std::vector<std::uint32_t> inputs(lines[i].begin(), lines[i].end() - 1),
          targets(lines[i].begin() + 1, lines[i].end());
      const double expected =
          reference.loss(inputs, targets, static_cast<int>(steps), 1, {}, {}) * static_cast<double>(steps);
      CHECK(scores[i].nats == doctest::Approx(expected).epsilon(1e-5));
    }
  }
}

TEST_CASE("prime text: unknown units are listed, or skipped on request") {
  LanguageModel model(testing::random_model_file(small_config(), testing::ascii_unit_names()));
  try {
    model.encode("caf\xC3\xA9 \xE2\x82\xAC and \xC3\xA9", UnknownPolicy::error, "--prime");
    FAIL("unknown units were accepted");
  } catch (const InputError& error) {
    CHECK(std::string(error.what()) == "--prime has 2 unit(s) the model never saw: '\xC3\xA9', '\xE2\x82\xAC'");
  }
  CHECK(model.encode("caf\xC3\xA9!", UnknownPolicy::skip).size() == 4);
  CHECK_THROWS_AS(model.encode("bad \xFF byte", UnknownPolicy::skip, "--prime"), InputError);
}

TEST_CASE("a model file of another kind is refused as a language model, and the reverse") {
  const ModelFile classifier_file = testing::random_classifier_file(small_config(), testing::ascii_unit_names(), 4);
  const testing::TempFile sentiment_path("", ".safetensors"), language_path("", ".safetensors");
  save_model_file(sentiment_path.path(), classifier_file);
  save_model_file(language_path.path(), testing::random_model_file(small_config(), testing::ascii_unit_names()));
  CHECK_NOTHROW(SentimentModel::load(sentiment_path.path()));
  CHECK_NOTHROW(LanguageModel::load(language_path.path()));
  try {
    LanguageModel::load(sentiment_path.path());
    FAIL("a sentiment model loaded as a language model");
  } catch (const InputError& error) {
    CHECK(std::string(error.what()).find("holds a model of kind 'sentiment-classifier', not a language model") !=
          std::string::npos);
  }
  try {
    SentimentModel::load(language_path.path());
    FAIL("a language model loaded as a sentiment model");
  } catch (const InputError& error) {
    CHECK(std::string(error.what()).find("holds a model of kind 'language-model', not a sentiment classifier") !=
          std::string::npos);
  }
}

namespace {

// Allocations inside one call of a bare oneDNN LSTM inference primitive, run through the C
// API with its ten arguments (the scratchpad its caller owns, as charloom's layers do) built
// beforehand. oneDNN 2.6 builds an argument map inside
// every execute, so this is not zero; it is the floor for a recurrent layer.
// int8 as charloom runs it: u8 input, s8 weights in the primitive's format, f32 states.
std::size_t allocations_per_onednn_execute(Precision precision) {
  using dnnl::memory;
  using tag = memory::format_tag;
  using dt = memory::data_type;
  const bool int8 = precision == Precision::int8;
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const int batch = 2, size = 8;
  const memory::desc input({1, batch, size}, int8 ? dt::u8 : dt::f32, tag::tnc);
  const memory::desc data({1, batch, size}, dt::f32, tag::tnc), state({1, 1, batch, size}, dt::f32, tag::ldnc);
  const memory::desc bias({1, 1, 4, size}, dt::f32, tag::ldgo);
  const memory::desc asked({1, 1, size, 4, size}, int8 ? dt::s8 : dt::f32, int8 ? tag::any : tag::ldigo);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // as charloom's layers run
  if (int8) {
    attr.set_rnn_data_qparams(127.5f, 127.5f);
    attr.set_rnn_weights_qparams(0, {1.0f});
  }
  const dnnl::lstm_forward::primitive_desc pd(
      dnnl::lstm_forward::desc(dnnl::prop_kind::forward_inference, dnnl::rnn_direction::unidirectional_left2right,
                               input, state, state, asked, asked, bias, data, state, state),
      attr, engine);
  const memory::desc weights = pd.weights_layer_desc();
  const dnnl::lstm_forward primitive(pd);
  std::vector<memory> memories;
  std::vector<dnnl_exec_arg_t> args;
  for (auto [argument, desc] :
       std::initializer_list<std::pair<int, memory::desc>>{{DNNL_ARG_SRC_LAYER, input},
                                                           {DNNL_ARG_SRC_ITER, state},
                                                           {DNNL_ARG_SRC_ITER_C, state},
                                                           {DNNL_ARG_WEIGHTS_LAYER, weights},
                                                           {DNNL_ARG_WEIGHTS_ITER, pd.weights_iter_desc()},
                                                           {DNNL_ARG_BIAS, bias},
                                                           {DNNL_ARG_DST_LAYER, data},
                                                           {DNNL_ARG_DST_ITER, state},
                                                           {DNNL_ARG_DST_ITER_C, state},
                                                           {DNNL_ARG_SCRATCHPAD, pd.scratchpad_desc()}}) {
    memories.emplace_back(desc, engine);
    const bool packed_weights = int8 && (argument == DNNL_ARG_WEIGHTS_LAYER || argument == DNNL_ARG_WEIGHTS_ITER);
    if (packed_weights) {
      // A packed format carries a header of its own (zero bytes make the AVX2 gemm divide by
      // zero): it is filled by a reorder from plain zeros, built with the same attributes.
      const memory::desc plain({1, 1, size, 4, size}, dt::s8, tag::ldigo);
      memory zeros(plain, engine);
      std::memset(zeros.get_data_handle(), 0, plain.get_size());
      const dnnl::reorder::primitive_desc reorder_pd(engine, plain, engine, desc, attr);
      memory scratch(reorder_pd.scratchpad_desc(), engine);
      dnnl::reorder(reorder_pd)
          .execute(stream, {{DNNL_ARG_FROM, zeros}, {DNNL_ARG_TO, memories.back()}, {DNNL_ARG_SCRATCHPAD, scratch}});
      stream.wait();
    } else {
      std::memset(memories.back().get_data_handle(), 0, desc.get_size());
    }
    args.push_back({argument, memories.back().get()});
  }
  const auto execute = [&] {
    REQUIRE(dnnl_primitive_execute(primitive.get(), stream.get(), static_cast<int>(args.size()), args.data()) ==
            dnnl_success);
    stream.wait();
  };
  execute();
  const std::size_t before = testing::allocation_count();
  execute();
  return testing::allocation_count() - before;
}

}  // namespace

TEST_CASE("sampling allocates nothing per unit beyond what oneDNN's execute does inside") {
  const ModelConfig config = small_config();
  for (const Precision precision : {Precision::f32, Precision::int8}) {
    CAPTURE(to_string(precision));
    LanguageModel model(testing::random_model_file(config, testing::ascii_unit_names()), precision);
    const auto allocations_for = [&](std::int64_t length) {
      GenerationOptions options = options_with(2, 4, length);
      options.stops = {"never seen"};
      const std::size_t before = testing::allocation_count();
      generate(
          model, {}, options, [](int, std::string_view) { return true; }, [](int, const SampleEnd&) {});
      return testing::allocation_count() - before;
    };
    allocations_for(10);  // builds the primitives for this shape
    const std::size_t short_run = allocations_for(50), long_run = allocations_for(1050);
    const std::size_t onednn = allocations_per_onednn_execute(precision);
    MESSAGE("oneDNN allocates " << onednn << " times per execute");
    CHECK(long_run - short_run == 1000 * static_cast<std::size_t>(config.layers) * onednn);
  }
}
