// Reading files (or stdin, as "-") in chunks, with errors that name the file and the fix.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace charloom::io {

inline constexpr std::size_t default_chunk_bytes = 1 << 20;

// Calls `consume` with successive pieces of the file; throws IoError if it cannot be read.
void read_chunks(const std::string& path, const std::function<void(std::string_view)>& consume,
                 std::size_t chunk_bytes = default_chunk_bytes);

// The whole file in memory, for small inputs such as labeled datasets.
std::string read_file(const std::string& path);

// Size in bytes of a regular file; 0 for stdin or a pipe.
std::uint64_t file_size(const std::string& path);

}  // namespace charloom::io
