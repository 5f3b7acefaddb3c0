// Small helpers shared by the unit tests: temporary files, option shorthands and a tiny
// language model.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "charloom/text.hpp"
#include "charloom/training.hpp"

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

// A file's whole content.
inline std::string read_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

inline TextOptions with_unit(TextUnit unit, Normalization normalization = Normalization::nfc) {
  TextOptions options;
  options.unit = unit;
  options.normalization = normalization;
  return options;
}

// A 1x16 LSTM language model of `corpus_text`, trained `iterations` steps from scratch and
// written to `output`; its checkpoints are removed.
inline void train_tiny_language_model(std::string_view corpus_text, const std::string& output,
                                      std::int64_t iterations) {
  const TempFile corpus(corpus_text, ".txt");
  TrainingConfig config;
  config.corpus = {corpus.path()};
  config.output = output;
  config.model.layers = 1;
  config.model.hidden = 16;
  config.model.embedding_size = 8;
  config.batch_size = 4;
  config.seq_length = 16;
  config.max_iters = iterations;
  config.checkpoint_dir = output + ".checkpoints";
  train_language_model(config);
  std::filesystem::remove_all(config.checkpoint_dir);
}

// Where the committed sample corpora live (set by CMake).
inline std::string sample_corpus(std::string_view name) {
  return std::string(CHARLOOM_SAMPLES_DIR) + "/" + std::string(name);
}

}  // namespace charloom::testing
