// Writing files so that a crash, a kill or a full disk never leaves a half-written file
// under the final name: write NAME.tmp, fsync, rename over NAME, fsync the directory.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace charloom::io {

// Calls `write` with a function that appends bytes; throws IoError (naming the path and the
// reason, e.g. "No space left on device") and removes the temporary file on any failure.
void write_atomically(const std::string& path,
                      const std::function<void(const std::function<void(std::string_view)>&)>& write);

// The same for content already in memory.
void write_file_atomically(const std::string& path, std::string_view content);

}  // namespace charloom::io
