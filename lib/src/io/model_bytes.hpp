// A model file whose bytes are already in memory, such as a checkpoint sent by another process.
#pragma once

#include <map>
#include <string>

#include "charloom/model_file.hpp"
#include "io/safetensors.hpp"

namespace charloom::io {

// Checks and reads `bytes` exactly as load_model_file() checks and reads a file; `path`
// names them in errors.
ModelFile parse_model_file(std::string bytes, const std::string& path);

// The charloom.header_crc32 value for `metadata` (the key itself left out) and the file's
// tensor table: what a writer of that header would store.
std::string header_checksum(const std::map<std::string, std::string>& metadata, const SafetensorsFile& file);

}  // namespace charloom::io
