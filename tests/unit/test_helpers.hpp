// Small helpers shared by the unit tests: temporary files and option shorthands.
#pragma once

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "charloom/text.hpp"

namespace charloom::testing {

// A file in the temporary directory that is removed when the test ends.
class TempFile {
 public:
  explicit TempFile(std::string_view content, std::string_view suffix = ".txt") {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("charloom-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + std::string(suffix));
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline TextOptions with_unit(TextUnit unit, Normalization normalization = Normalization::nfc) {
  TextOptions options;
  options.unit = unit;
  options.normalization = normalization;
  return options;
}

// Where the committed sample corpora live (set by CMake).
inline std::string sample_corpus(std::string_view name) {
  return std::string(CHARLOOM_SAMPLES_DIR) + "/" + std::string(name);
}

}  // namespace charloom::testing
