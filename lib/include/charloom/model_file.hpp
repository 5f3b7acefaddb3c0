// The model file: one safetensors file holding a model's tensors (named as PyTorch's
// state_dict) and every setting needed to use it; checkpoints add their training state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "charloom/model_config.hpp"
#include "charloom/vocabulary.hpp"

namespace charloom {

// The newest format this build writes and reads; newer files are refused.
inline constexpr int model_format_version = 2;
inline constexpr const char* language_model_kind = "language-model";
inline constexpr const char* sentiment_classifier_kind = "sentiment-classifier";

struct NamedTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};

struct ModelFile {
  std::string kind = language_model_kind;
  ModelConfig config;
  Vocabulary vocabulary;
  std::string training_json = "{}";        // how it was trained, as a JSON object
  std::vector<NamedTensor> tensors;        // the model's parameters
  std::vector<NamedTensor> extra_tensors;  // checkpoint state: optimizer moments, hidden state
  std::string checkpoint_json;             // empty for a plain model

  // Sentiment classifiers only, and optional: pairs of class language models, each pair a
  // language model fine-tuned on each class's texts (negative first, then positive). A text's
  // score adds class_language_model_weight * the sum over the pairs of
  // (log p(text | positive) - log p(text | negative)) to the classifier's logit, and the sum
  // is multiplied by class_language_model_scale before the sigmoid. Saved as tensors named
  // negative_lm.* and positive_lm.* for the first pair, negative_lm2.* and positive_lm2.* for
  // the second, and so on.
  std::vector<ModelFile> class_language_models;
  double class_language_model_weight = 0.0;
  double class_language_model_scale = 1.0;  // a positive temperature's inverse: it calibrates, never decides

  const NamedTensor* find(const std::string& name) const;  // in tensors or extra_tensors
};

// Writes atomically. Metadata keys: charloom.format_version, charloom.kind,
// charloom.vocabulary (JSON array), charloom.config (JSON object), charloom.training,
// charloom.tensor_crc32 and, in checkpoints, charloom.checkpoint.
void save_model_file(const std::string& path, const ModelFile& model);

// Reads and checks a model file: format version, checksum, config, vocabulary and every
// tensor's shape. Throws InputError naming the file and the problem; never crashes.
ModelFile load_model_file(const std::string& path);

}  // namespace charloom
