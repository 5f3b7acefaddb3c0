// charloom's exceptions as Python's own: bad arguments and bad input are ValueError, a
// missing file or model FileNotFoundError, other failed reads and writes OSError.
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "charloom/errors.hpp"
#include "charloom/training.hpp"

namespace charloom::python {

void raise_unknown_units(const std::exception& error) {
  throw py::value_error(std::string(error.what()) + "; pass unknown=\"skip\" to drop them");
}

void bind_errors(py::module_& module) {
  static py::exception<TrainingDiverged> diverged(module, "TrainingDiverged", PyExc_ArithmeticError);
  // pybind11 takes a plain function pointer of exactly this signature: by value.
  py::register_exception_translator([](std::exception_ptr thrown) {  // NOLINT(performance-unnecessary-value-param)
    try {
      if (thrown) std::rethrow_exception(thrown);
    } catch (const TrainingDiverged& error) {
      diverged(error.what());
    } catch (const UsageError& error) {
      PyErr_SetString(PyExc_ValueError, error.what());
    } catch (const InputError& error) {
      PyErr_SetString(PyExc_ValueError, error.what());
    } catch (const NotFoundError& error) {
      PyErr_SetString(PyExc_FileNotFoundError, error.what());
    } catch (const IoError& error) {
      PyErr_SetString(PyExc_OSError, error.what());
    } catch (const Interrupted& error) {
      PyErr_SetString(PyExc_KeyboardInterrupt, error.what());
    }
  });
}

}  // namespace charloom::python
