// A model file whose bytes are already in memory, such as a checkpoint sent by another process.
#pragma once

#include <string>

#include "charloom/model_file.hpp"

namespace charloom::io {

// Checks and reads `bytes` exactly as load_model_file() checks and reads a file; `path`
// names them in errors.
ModelFile parse_model_file(std::string bytes, const std::string& path);

}  // namespace charloom::io
