// Shared plumbing of the fuzz targets: option choices from the input's first bytes, a private
// scratch file for the loaders that take paths, and a trap for broken invariants.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

namespace charloom::fuzz {

// Reads choices off the front of the input; the rest is the payload.
class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) : data_(reinterpret_cast<const char*>(data)), size_(size) {}
  // One byte as a number below `count` (0 once the input is used up).
  unsigned choose(unsigned count) {
    if (used_ >= size_) return 0;
    return static_cast<unsigned char>(data_[used_++]) % count;
  }
  std::string_view rest() const { return {data_ + used_, size_ - used_}; }

 private:
  const char* data_;
  std::size_t size_, used_ = 0;
};

// A file that only this process writes, rewritten for every input (for loaders that read paths).
inline const std::string& scratch_path() {
  static const std::string path = "/tmp/charloom-fuzz-" + std::to_string(getpid());
  // Registered after `path` is built, so it runs before `path` is destroyed: repeated fuzz runs
  // leave nothing behind in /tmp.
  static const bool removed_at_exit = std::atexit([] { std::remove(path.c_str()); }) == 0;
  (void)removed_at_exit;
  return path;
}

inline const std::string& write_scratch(std::string_view bytes) {
  std::ofstream(scratch_path(), std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return scratch_path();
}

// A property that must hold for every input; a failure is a crash libFuzzer records.
inline void require(bool holds, const char* what) {
  if (!holds) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace charloom::fuzz
