// The model file: one safetensors file holding a model's tensors (named as PyTorch's
// state_dict) and every setting needed to use it; checkpoints add their training state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "charloom/model_config.hpp"
#include "charloom/vocabulary.hpp"

namespace charloom {

// The newest format this build reads and writes; newer files are refused. Version 3 added
// the feature list (charloom.features): a file names every feature it uses, and a reader
// refuses one it does not know. Version 4 added mixtures of language models. A file is written
// in the oldest version that holds its features, so older readers still read the rest.
// docs/model-format.md specifies every version.
inline constexpr int model_format_version = 4;
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

  // Language models only, and optional: further members of an equal-weight mixture. The model
  // then predicts the mean of its own and every member's probabilities. Members share the
  // file's vocabulary, text options, cell and hidden width; their depth and embedding may
  // differ. Saved as tensors named member2.*, member3.* and so on (the file's own model is
  // the first member), each member's config and training record in charloom.mixture.
  std::vector<ModelFile> mixture_members;

  const NamedTensor* find(const std::string& name) const;  // in tensors or extra_tensors
};

// How a file stores the model's own tensors (and its class language models'). Checkpoint state
// (extra_tensors) is always f32, so that a resumed run continues exactly.
enum class TensorStorage {
  f32,
  bf16,  // half the size; each value rounds to 8 significant bits and widens to f32 on load
};

// The features this build reads, each with the format version that introduced it to the list.
struct FormatFeature {
  const char* name;
  int version;
};
const std::vector<FormatFeature>& known_format_features();

// The features a model uses, as save_model_file lists them in charloom.features.
std::vector<std::string> features_of(const ModelFile& model, TensorStorage storage = TensorStorage::f32);

// Why `member` cannot join `model`'s mixture (kinds, vocabularies, text options, cell or
// hidden width differ), or an empty string when it can.
std::string mixture_mismatch(const ModelFile& model, const ModelFile& member);

// Writes atomically. Metadata keys: charloom.format_version, charloom.kind, charloom.features,
// charloom.vocabulary (JSON array), charloom.config (JSON object), charloom.training,
// charloom.tensor_crc32, charloom.header_crc32 and, where used, charloom.checkpoint,
// charloom.class_language_models and charloom.mixture.
void save_model_file(const std::string& path, const ModelFile& model, TensorStorage storage = TensorStorage::f32);

// Reads and checks a model file: format version, features, checksums, config, vocabulary and
// every tensor's shape. Throws InputError naming the file and the problem; never crashes.
ModelFile load_model_file(const std::string& path);

}  // namespace charloom
