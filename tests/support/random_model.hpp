// Randomly initialized language models for tests and benchmarks, built without training.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "charloom/language_model.hpp"
#include "nn/classifier.hpp"
#include "nn/network.hpp"

namespace charloom::testing {

// A small two-layer model's settings: fast enough that tests run many of them.
inline ModelConfig small_model_config(CellKind cell = CellKind::lstm, int hidden = 24) {
  ModelConfig config;
  config.cell = cell;
  config.layers = 2;
  config.hidden = hidden;
  config.embedding_size = 8;
  return config;
}

// <unk>, newline and printable ASCII from the space up: `size` units in all, at most 97
// (65 is as many as tinyshakespeare has).
inline std::vector<std::string> ascii_unit_names(int size = 97) {
  std::vector<std::string> names{"<unk>", "\n"};
  for (char c = 32; static_cast<int>(names.size()) < size && c < 127; ++c) names.emplace_back(1, c);
  return names;
}

// Every byte value: the vocabulary a byte-level model of arbitrary text would have.
inline std::vector<std::string> all_byte_names() {
  std::vector<std::string> names{"<unk>"};
  for (int byte = 0; byte < 256; ++byte) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "<0x%02X>", byte);
    names.emplace_back(byte < 0x80 ? std::string(1, static_cast<char>(byte)) : std::string(buffer));
  }
  return names;
}

// PyTorch-style random weights (seeded) under `config` (its unit kind must suit the names).
inline ModelFile random_model_file(ModelConfig config, const std::vector<std::string>& names, std::uint64_t seed = 3) {
  config.vocabulary_size = static_cast<int>(names.size());
  nn::Network network(config);
  network.initialize(seed);
  ModelFile file;
  file.config = config;
  file.vocabulary = Vocabulary::from_names(names, config.text.unit);
  file.tensors = nn::named_tensors(network.layout(), network.parameters());
  return file;
}

// The same for a sentiment classifier.
inline ModelFile random_classifier_file(ModelConfig config, const std::vector<std::string>& names,
                                        std::uint64_t seed = 3) {
  config.vocabulary_size = static_cast<int>(names.size());
  nn::Classifier classifier(config);
  classifier.initialize(seed);
  ModelFile file;
  file.kind = sentiment_classifier_kind;
  file.config = config;
  file.vocabulary = Vocabulary::from_names(names, config.text.unit);
  file.tensors = nn::named_tensors(classifier.layout(), classifier.parameters());
  return file;
}

}  // namespace charloom::testing
