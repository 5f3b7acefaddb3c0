// LanguageModel in Python: generate, stream, score, score_lines, states and next_distribution.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <optional>

#include "bindings.hpp"
#include "charloom/errors.hpp"
#include "charloom/generation.hpp"
#include "charloom/scoring.hpp"
#include "charloom/states.hpp"
#include "charloom/stream_batch.hpp"

namespace charloom::python {
namespace {

using Model = std::shared_ptr<LanguageModel>;

std::vector<std::uint32_t> encode(const LanguageModel& model, const std::string& text, const std::string& unknown,
                                  const char* argument) {
  try {
    return model.encode(text, parse_unknown_policy(unknown), argument);
  } catch (const UnknownUnitsError& error) {
    raise_unknown_units(error);
  }
}

SamplingOptions sampling(double temperature, int top_k, double top_p) {
  SamplingOptions options{temperature, top_k, top_p};
  options.validate();
  return options;
}

py::object generate_text(LanguageModel& model, const std::string& prime, std::int64_t length, double temperature,
                         int top_k, double top_p, std::uint64_t seed, int samples, std::vector<std::string> stop,
                         const std::string& unknown) {
  GenerationOptions options{sampling(temperature, top_k, top_p), length, samples, seed, std::move(stop)};
  options.validate();
  const std::vector<std::uint32_t> ids = encode(model, prime, unknown, "prime");
  std::vector<std::string> texts(static_cast<std::size_t>(samples));
  {
    const py::gil_scoped_release released;
    generate(
        model, ids, options,
        [&](int sample, std::string_view piece) {
          texts[static_cast<std::size_t>(sample)] += piece;
          return true;
        },
        [](int, const SampleEnd&) {});
  }
  if (samples == 1) return py::str(texts[0]);
  return py::cast(texts);
}

// A sample drawn one step per next(): the model's StreamBatch with a single stream.
class TextStream {
 public:
  TextStream(Model model, const std::vector<std::uint32_t>& prime, const StreamSettings& settings)
      : model_(std::move(model)), batch_(*model_) {
    batch_.add(prime, settings);
  }
  std::string next() {
    const py::gil_scoped_release released;
    while (!finished_) {
      const std::vector<StreamOutput>& out = batch_.step();
      if (out.empty()) break;
      finished_ = out[0].finished;
      if (!out[0].text.empty()) return out[0].text;
    }
    finished_ = true;
    throw py::stop_iteration();
  }

 private:
  Model model_;  // the batch runs on it: kept alive while the stream lives
  StreamBatch batch_;
  bool finished_ = false;
};

py::dict figures(const TextScore& score, std::size_t units) {
  py::dict out;
  out["units"] = units;
  out["units_scored"] = score.units_scored;
  out["nats"] = score.nats;
  const bool any = score.units_scored > 0;
  out["nats_per_char"] = any ? py::cast(score.nats_per_unit()) : py::none();
  out["bits_per_char"] = any ? py::cast(score.bits_per_unit()) : py::none();
  out["perplexity"] = any ? py::cast(score.perplexity()) : py::none();
  return out;
}

py::dict score_text(LanguageModel& model, const std::string& text, int batch_size, int seq_length,
                    const std::string& unknown) {
  if (batch_size < 1 || seq_length < 1) throw UsageError("batch_size and seq_length must be at least 1");
  const std::vector<std::uint32_t> encoded = encode(model, text, unknown, "text");
  TokenIds ids(model.vocabulary().size());
  ids.reserve(encoded.size());
  for (const std::uint32_t id : encoded) ids.push_back(id);
  TextScore score;
  {
    const py::gil_scoped_release released;
    score = score_span(model, ids, 0, ids.size(), batch_size, seq_length);
  }
  return figures(score, ids.size());
}

py::list score_lines(LanguageModel& model, const std::vector<std::string>& lines, int batch_size,
                     const std::string& unknown) {
  if (batch_size < 1) throw UsageError("batch_size must be at least 1");
  std::vector<std::vector<std::uint32_t>> ids;
  for (std::size_t i = 0; i < lines.size(); ++i)
    ids.push_back(encode(model, lines[i], unknown, ("lines[" + std::to_string(i) + "]").c_str()));
  std::vector<TextScore> scores;
  {
    const py::gil_scoped_release released;
    scores = score_sequences(model, ids, batch_size);
  }
  py::list out;
  for (std::size_t i = 0; i < scores.size(); ++i) out.append(figures(scores[i], ids[i].size()));
  return out;
}

py::array_t<float> array_of(const std::vector<float>& values, const TextStates& states) {
  const std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(states.units), states.layers, states.hidden};
  py::array_t<float> array(shape);
  std::copy(values.begin(), values.end(), array.mutable_data());
  return array;
}

py::dict states_of(LanguageModel& model, const std::string& text, const std::string& unknown) {
  const std::vector<std::uint32_t> ids = encode(model, text, unknown, "text");
  TextStates states;
  {
    const py::gil_scoped_release released;
    states = text_states(model, ids);
  }
  const std::vector<std::string> names = model.vocabulary().names();
  py::list units;
  for (const std::uint32_t id : ids) units.append(names[id]);
  py::dict out;
  out["units"] = units;
  out["hidden"] = array_of(states.hidden_states, states);
  out["cell"] = states.cell_states.empty() ? py::none() : py::object(array_of(states.cell_states, states));
  return out;
}

py::tuple distribution_after(LanguageModel& model, const std::string& prime, const std::string& unknown) {
  const std::vector<std::uint32_t> ids = encode(model, prime, unknown, "prime");
  std::vector<double> probabilities;
  {
    const py::gil_scoped_release released;
    probabilities = next_distribution(model, ids);
  }
  return py::make_tuple(py::array_t<double>(static_cast<py::ssize_t>(probabilities.size()), probabilities.data()),
                        model.vocabulary().names());
}

}  // namespace

void bind_language_model(py::module_& module) {
  py::class_<TextStream>(module, "TextStream", "A sample's text, piece by piece as it is drawn.")
      .def("__iter__", [](TextStream& stream) -> TextStream& { return stream; })
      .def("__next__", &TextStream::next);

  py::class_<LanguageModel, Model>(module, "LanguageModel", "A character-level language model, loaded.")
      .def_property_readonly(
          "vocabulary", [](const LanguageModel& m) { return m.vocabulary().names(); },
          "the unit names, by id (id 0 is <unk>)")
      .def_property_readonly(
          "training", [](const LanguageModel& m) { return m.training_json(); }, "how it was trained, as JSON text")
      .def("generate", &generate_text, py::arg("prime") = "", py::arg("length") = 1000, py::arg("temperature") = 1.0,
           py::arg("top_k") = 0, py::arg("top_p") = 1.0, py::arg("seed") = 0, py::arg("samples") = 1,
           py::arg("stop") = std::vector<std::string>{}, py::arg("unknown") = "error",
           "Samples text after `prime` (not included), as generate-text --hide-prime does. Returns a str, or a list "
           "of str when samples > 1.")
      .def(
          "stream",
          [](const Model& model, const std::string& prime, std::int64_t length, double temperature, int top_k,
             double top_p, std::uint64_t seed, std::vector<std::string> stop, const std::string& unknown) {
            StreamSettings settings{sampling(temperature, top_k, top_p), length, seed, 0, std::move(stop), -1};
            settings.validate();
            return TextStream(model, encode(*model, prime, unknown, "prime"), settings);
          },
          py::arg("prime") = "", py::arg("length") = 1000, py::arg("temperature") = 1.0, py::arg("top_k") = 0,
          py::arg("top_p") = 1.0, py::arg("seed") = 0, py::arg("stop") = std::vector<std::string>{},
          py::arg("unknown") = "error", "Yields the text of generate(...) with the same arguments as it is sampled.")
      .def("score", &score_text, py::arg("text"), py::arg("batch_size") = 64, py::arg("seq_length") = 100,
           py::arg("unknown") = "error",
           "nats/char, bits/char and perplexity of the text, as evaluate-model computes them.")
      .def("score_lines", &score_lines, py::arg("lines"), py::arg("batch_size") = 64, py::arg("unknown") = "error",
           "Each line scored alone from the zero state, as evaluate-model --per-line does.")
      .def("states", &states_of, py::arg("text"), py::arg("unknown") = "error",
           "The state after each unit: {'units': [...], 'hidden': array (units, layers, hidden), 'cell': the same "
           "for an LSTM, else None}.")
      .def("next_distribution", &distribution_after, py::arg("prime") = "", py::arg("unknown") = "error",
           "(probabilities, vocabulary): P(next unit) after `prime`, at temperature 1.");
}

}  // namespace charloom::python
