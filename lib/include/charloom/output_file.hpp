// Writing an output file so that a crash, a kill or a full disk never leaves a half-written
// file under its name, and an older file of that name survives any failure.
#pragma once

#include <string>
#include <string_view>

namespace charloom {

// Writes PATH.tmp, fsyncs it and renames it over PATH; throws IoError naming the path and the
// reason (e.g. "No space left on device") and removes the temporary file on any failure.
void write_output_file(const std::string& path, std::string_view content);

}  // namespace charloom
