// The charloom Python module: loading models by name or path, and the parts that bind the rest.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "charloom/errors.hpp"
#include "charloom/language_model.hpp"
#include "charloom/model_catalog.hpp"
#include "charloom/sentiment.hpp"
#include "charloom/threads.hpp"

namespace charloom::python {
namespace {

py::object load(const std::string& name_or_path, const std::string& precision) {
  const Precision chosen = parse_precision(precision);
  const std::string path = resolve_model(name_or_path);
  ModelFile file;
  {
    const py::gil_scoped_release released;
    file = load_model_file(path);
  }
  if (file.kind == sentiment_classifier_kind) return py::cast(std::make_shared<SentimentModel>(file, chosen));
  return py::cast(std::make_shared<LanguageModel>(file, chosen));
}

py::list models() {
  py::list out;
  for (const FoundModel& model : available_models()) {
    py::dict d;
    d["name"] = model.name, d["path"] = model.path, d["folder"] = model.folder, d["bytes"] = model.bytes;
    d["record"] = model.record.empty() ? py::none() : py::module_::import("json").attr("loads")(model.record);
    out.append(d);
  }
  return out;
}

}  // namespace
}  // namespace charloom::python

PYBIND11_MODULE(charloom, module) {
  using namespace charloom::python;
  module.doc() = "Character-level recurrent language models and sentiment classifiers on the CPU.";
  bind_errors(module);
  bind_language_model(module);
  bind_sentiment_model(module);
  bind_training(module);
  module.def("load", &load, py::arg("name_or_path"), py::arg("precision") = "f32",
             "A LanguageModel or a SentimentModel, by name (as the apps find them: CHARLOOM_MODEL_PATH, the "
             "installed models, the source tree's models/) or by path. precision: f32, bf16, int8 or auto (bf16 where "
             "this CPU runs it natively).");
  module.def("models", &models, "Every model found by name: its name, path, folder, size and record.");
  module.def("set_threads", &charloom::set_thread_count, py::arg("threads"),
             "The threads every model and training run uses from now on (0: one per core), as --threads.");
}
