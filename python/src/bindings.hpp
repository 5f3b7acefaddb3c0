// What the module's parts share: each part's registration, and how models are held.
#pragma once

#include <pybind11/pybind11.h>

namespace charloom::python {

namespace py = pybind11;

void bind_errors(py::module_& module);
void bind_language_model(py::module_& module);
void bind_sentiment_model(py::module_& module);
void bind_training(py::module_& module);

// Raised for units a model never saw: the library's message, and how a Python caller skips them.
[[noreturn]] void raise_unknown_units(const std::exception& error);

}  // namespace charloom::python
