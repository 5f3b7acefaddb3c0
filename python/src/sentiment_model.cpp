// SentimentModel in Python: P(positive) of texts as a numpy array, and a text's trace.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "charloom/errors.hpp"
#include "charloom/sentiment.hpp"

namespace charloom::python {
namespace {

py::array_t<double> to_array(const std::vector<double>& values) {
  return py::array_t<double>(static_cast<py::ssize_t>(values.size()), values.data());
}

py::array_t<double> score_texts(SentimentModel& model, const std::vector<std::string>& texts, int batch_size) {
  std::vector<std::vector<std::uint32_t>> ids;
  for (std::size_t i = 0; i < texts.size(); ++i)
    ids.push_back(model.encode(texts[i], "texts[" + std::to_string(i) + "]"));
  std::vector<double> scores;
  {
    const py::gil_scoped_release released;
    scores = model.score(ids, batch_size);
  }
  return to_array(scores);
}

py::dict trace_text(SentimentModel& model, const std::string& text) {
  const std::vector<std::uint32_t> ids = model.encode(text, "text");
  std::vector<double> scores;
  {
    const py::gil_scoped_release released;
    scores = model.trace(ids);
  }
  const std::vector<std::string> names = model.vocabulary().names();
  py::list units;
  for (const std::uint32_t id : ids) units.append(names[id]);
  py::dict out;
  out["units"] = units;
  out["scores"] = to_array(scores);
  return out;
}

}  // namespace

void bind_sentiment_model(py::module_& module) {
  py::class_<SentimentModel, std::shared_ptr<SentimentModel>>(module, "SentimentModel",
                                                              "A character-level sentiment classifier, loaded.")
      .def_property_readonly("vocabulary", [](const SentimentModel& m) { return m.vocabulary().names(); })
      .def_property_readonly(
          "training", [](const SentimentModel& m) { return m.training_json(); }, "how it was trained, as JSON text")
      .def(
          "score",
          [](SentimentModel& model, const py::object& texts, int batch_size) -> py::object {
            if (batch_size < 1) throw UsageError("batch_size must be at least 1");
            if (py::isinstance<py::str>(texts))
              return py::float_(score_texts(model, {texts.cast<std::string>()}, batch_size).at(0));
            return score_texts(model, texts.cast<std::vector<std::string>>(), batch_size);
          },
          py::arg("texts"), py::arg("batch_size") = 128,
          "P(positive) of each text as a numpy array, as score-sentiment gives it; a float for one str.")
      .def("trace", &trace_text, py::arg("text"),
           "The running P(positive) after every unit: {'units': [...], 'scores': array}, as score-sentiment "
           "--trace gives it.");
}

}  // namespace charloom::python
