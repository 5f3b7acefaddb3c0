// Model files: the metadata contract on top of the safetensors container, with CRC-32s
// (zlib) over all tensor bytes and (from format 2) over the header's content, so that a
// flipped bit anywhere in the file is caught at load.
#include "charloom/model_file.hpp"

#include <zlib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "charloom/errors.hpp"
#include "format/model_layout.hpp"
#include "io/file_reader.hpp"
#include "io/model_bytes.hpp"
#include "io/safetensors.hpp"

namespace charloom {
namespace {

constexpr const char* key_version = "charloom.format_version";
constexpr const char* key_kind = "charloom.kind";
constexpr const char* key_vocabulary = "charloom.vocabulary";
constexpr const char* key_config = "charloom.config";
constexpr const char* key_training = "charloom.training";
constexpr const char* key_crc = "charloom.tensor_crc32";
constexpr const char* key_checkpoint = "charloom.checkpoint";
constexpr const char* key_header_crc = "charloom.header_crc32";
constexpr const char* key_class_models = "charloom.class_language_models";
constexpr const char* key_features = "charloom.features";
constexpr const char* key_mixture = "charloom.mixture";
// The first format whose files carry key_header_crc.
constexpr int first_version_with_header_crc = 2;
// The first format whose files list their features.
constexpr int first_version_with_features = 3;

// A tensor's entry in the header: its name, shape and, when not F32, its dtype.
struct HeaderTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  io::Dtype dtype = io::Dtype::f32;
};

uLong crc32_update(uLong crc, std::string_view bytes) {
  // zlib takes uInt lengths: feed large buffers in pieces.
  constexpr std::size_t piece = 1u << 30;
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    const std::size_t length = std::min(piece, bytes.size() - at);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + at), static_cast<uInt>(length));
  }
  return crc;
}

std::uint32_t crc32_of(std::string_view bytes) {
  return static_cast<std::uint32_t>(crc32_update(crc32(0L, Z_NULL, 0), bytes));
}

std::string hex32(std::uint32_t value) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%08x", value);
  return buffer;
}

// What the header says, in a fixed order: every metadata entry but the header CRC itself,
// then each tensor's name and shape in file order (and "BF16" after a BF16 tensor's shape, so
// that F32 files keep the content they always had). Offsets are left out: the container
// already refuses any offset that disagrees with a shape.
std::string header_content(const std::map<std::string, std::string>& metadata,
                           const std::vector<HeaderTensor>& tensors) {
  std::string content;
  for (const auto& [key, value] : metadata) {
    if (key == key_header_crc) continue;
    content.append(key).push_back('\0');
    content.append(value).push_back('\0');
  }
  for (const HeaderTensor& tensor : tensors) {
    content.append(tensor.name).push_back('\0');
    for (std::int64_t size : tensor.shape) content.append(std::to_string(size)).push_back(',');
    content.push_back('\0');
    if (tensor.dtype == io::Dtype::bf16) content.append("BF16").push_back('\0');
  }
  return content;
}

nlohmann::json config_to_json(const ModelConfig& config, const std::string& kind) {
  nlohmann::json json{{"cell", to_string(config.cell)},
                      {"layers", config.layers},
                      {"hidden", config.hidden},
                      {"embedding_size", config.embedding_size},
                      {"vocabulary_size", config.vocabulary_size},
                      {"dropout", config.dropout},
                      {"unit", to_string(config.text.unit)},
                      {"normalization", to_string(config.text.normalization)},
                      {"newlines", to_string(config.text.newlines)},
                      {"invalid_utf8", to_string(config.text.invalid_utf8)}};
  if (kind == sentiment_classifier_kind) {
    json["pool"] = to_string(config.pool);
    json["bidirectional"] = config.bidirectional;
  }
  return json;
}

ModelConfig config_from_json(const std::string& text, const std::string& path) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object()) throw InputError(path + ": " + key_config + " is not a JSON object");
  try {
    ModelConfig config;
    config.cell = parse_cell_kind(json.at("cell").get<std::string>());
    config.layers = json.at("layers").get<int>();
    config.hidden = json.at("hidden").get<int>();
    config.embedding_size = json.at("embedding_size").get<int>();
    config.vocabulary_size = json.at("vocabulary_size").get<int>();
    config.dropout = json.value("dropout", 0.0f);
    config.text.unit = parse_text_unit(json.at("unit").get<std::string>());
    config.text.normalization = parse_normalization(json.at("normalization").get<std::string>());
    config.text.newlines = parse_newline_policy(json.value("newlines", std::string("keep")));
    config.text.invalid_utf8 = parse_invalid_utf8_policy(json.value("invalid_utf8", std::string("error")));
    config.pool = parse_pooling(json.value("pool", std::string("last")));
    config.bidirectional = json.value("bidirectional", false);
    config.validate();
    return config;
  } catch (const nlohmann::json::exception& error) {
    throw InputError(path + ": " + key_config + " is incomplete: " + error.what());
  } catch (const UsageError& error) {
    throw InputError(path + ": " + key_config + " is invalid: " + error.what());
  }
}

std::vector<NamedTensor> read_tensors(const io::SafetensorsFile& file) {
  std::vector<NamedTensor> tensors;
  for (const auto& tensor : file.tensors()) tensors.push_back({tensor.name, tensor.shape, file.values(tensor)});
  return tensors;
}

// Moves the tensors that `layout` names (each behind `prefix`) out of `all` into `into`,
// checking every shape against the config.
void take_tensors(std::vector<NamedTensor>& all, const format::ParameterLayout& layout, const std::string& prefix,
                  std::vector<NamedTensor>& into, const std::string& path) {
  for (const format::TensorInfo& expected : layout.tensors()) {
    const std::string name = prefix + expected.name;
    auto found = std::find_if(all.begin(), all.end(), [&](const NamedTensor& t) { return t.name == name; });
    if (found == all.end()) throw InputError(path + ": tensor " + name + " is missing");
    if (found->shape != expected.shape)
      throw InputError(path + ": tensor " + name + " has the wrong shape for its config");
    found->name = expected.name;
    into.push_back(std::move(*found));
    all.erase(found);
  }
}

// The tensor-name prefix of the class language model at `index` in ModelFile's order: pairs
// of negative then positive, the first pair's names unnumbered, as files with one pair had them.
std::string class_model_prefix(std::size_t index) {
  const std::size_t pair = index / 2;
  return std::string(index % 2 == 0 ? "negative_lm" : "positive_lm") + (pair == 0 ? "" : std::to_string(pair + 1)) +
         ".";
}

bool valid_class_model_count(std::size_t count) { return count == 0 || count % 2 == 0; }

format::ParameterLayout layout_of(const ModelFile& model, const std::string& path) {
  try {
    return format::layout_for_kind(model.kind, model.config);
  } catch (const InputError& error) {
    throw InputError(path + ": " + error.what());
  }
}

// The class language models' metadata: the weight, then each model's config and vocabulary.
std::string class_models_json(const ModelFile& model) {
  nlohmann::json models = nlohmann::json::array();
  for (const ModelFile& part : model.class_language_models)
    models.push_back({{"config", config_to_json(part.config, part.kind)},
                      {"vocabulary", nlohmann::json::parse(part.vocabulary.to_json())}});
  return nlohmann::json{
      {"weight", model.class_language_model_weight}, {"scale", model.class_language_model_scale}, {"models", models}}
      .dump();
}

void read_class_models(ModelFile& model, const std::string& text, std::vector<NamedTensor>& all,
                       const std::string& path) {
  const std::string where = path + ": " + key_class_models;
  if (model.kind != sentiment_classifier_kind) throw InputError(where + " belongs only in a sentiment classifier");
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object() || !json.contains("weight") || !json["weight"].is_number() || !json.contains("models") ||
      !json["models"].is_array() || json["models"].empty() || !valid_class_model_count(json["models"].size()))
    throw InputError(where + " must be an object with a weight and pairs of models");
  model.class_language_model_weight = json["weight"].get<double>();
  if (!std::isfinite(model.class_language_model_weight)) throw InputError(where + ": the weight is not finite");
  // Files written before the scale existed score as they did, unscaled.
  if (json.contains("scale")) {
    if (!json["scale"].is_number() || !(json["scale"].get<double>() > 0.0) ||
        !std::isfinite(json["scale"].get<double>()))
      throw InputError(where + ": the scale must be a positive number");
    model.class_language_model_scale = json["scale"].get<double>();
  }
  for (std::size_t i = 0; i < json["models"].size(); ++i) {
    const nlohmann::json& entry = json["models"][i];
    if (!entry.is_object() || !entry.contains("config") || !entry.contains("vocabulary"))
      throw InputError(where + ": each model needs a config and a vocabulary");
    ModelFile part;
    part.config = config_from_json(entry["config"].dump(), path);
    try {
      part.vocabulary = Vocabulary::from_json(entry["vocabulary"].dump(), part.config.text.unit);
    } catch (const InputError& error) {
      throw InputError(where + ": " + error.what());
    }
    if (static_cast<int>(part.vocabulary.size()) != part.config.vocabulary_size)
      throw InputError(where + ": a model's vocabulary and config disagree in size");
    take_tensors(all, layout_of(part, path), class_model_prefix(i), part.tensors, path);
    model.class_language_models.push_back(std::move(part));
  }
}

// Why a member's config cannot join a mixture's, or empty when it can: a mixture steps one
// shape of state for all its members.
std::string config_mismatch(const ModelConfig& model, const ModelConfig& member) {
  const nlohmann::json a = config_to_json(model, language_model_kind), b = config_to_json(member, language_model_kind);
  for (const char* field : {"cell", "hidden", "vocabulary_size", "unit", "normalization", "newlines", "invalid_utf8"})
    if (a[field] != b[field])
      return std::string("a member's ") + field + " (" + b[field].dump() + ") differs from the first model's (" +
             a[field].dump() + ")";
  return {};
}

std::string mixture_prefix(std::size_t index) { return "member" + std::to_string(index + 2) + "."; }

// The mixture's metadata: each further member's config and training record.
std::string mixture_json(const ModelFile& model) {
  nlohmann::json members = nlohmann::json::array();
  for (const ModelFile& member : model.mixture_members) {
    nlohmann::json training = nlohmann::json::parse(member.training_json, nullptr, false);
    members.push_back({{"config", config_to_json(member.config, language_model_kind)},
                       {"training", training.is_object() ? training : nlohmann::json::object()}});
  }
  return nlohmann::json{{"members", members}}.dump();
}

void read_mixture(ModelFile& model, const std::string& text, std::vector<NamedTensor>& all, const std::string& path) {
  const std::string where = path + ": " + key_mixture;
  if (model.kind != language_model_kind) throw InputError(where + " belongs only in a language model");
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object() || !json.contains("members") || !json["members"].is_array() || json["members"].empty())
    throw InputError(where + " must be an object with a list of members");
  for (std::size_t i = 0; i < json["members"].size(); ++i) {
    const nlohmann::json& entry = json["members"][i];
    if (!entry.is_object() || !entry.contains("config")) throw InputError(where + ": each member needs a config");
    ModelFile member;
    member.config = config_from_json(entry["config"].dump(), path);
    if (const std::string why = config_mismatch(model.config, member.config); !why.empty())
      throw InputError(where + ": " + why);
    member.vocabulary = model.vocabulary;
    if (entry.contains("training") && entry["training"].is_object()) member.training_json = entry["training"].dump();
    take_tensors(all, layout_of(member, path), mixture_prefix(i), member.tensors, path);
    model.mixture_members.push_back(std::move(member));
  }
}

// The features a file declares: a JSON object of names, each with the format version that
// introduced it.
std::map<std::string, int> declared_features(const std::string& text, const std::string& path) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  std::map<std::string, int> features;
  if (json.is_object())
    for (const auto& [name, version] : json.items())
      if (version.is_number_unsigned()) features[name] = version.get<int>();
  if (!json.is_object() || features.size() != json.size())
    throw InputError(path + ": " + key_features + " is not a JSON object of feature versions; the file is damaged");
  return features;
}

void refuse_unknown_features(const std::string& text, const std::string& path) {
  for (const auto& feature : declared_features(text, path)) {
    const std::string& name = feature.first;
    const int version = feature.second;
    const auto& known = known_format_features();
    if (std::none_of(known.begin(), known.end(), [&](const FormatFeature& f) { return name == f.name; }))
      throw InputError(path + " uses the feature '" + name + "' of model format " + std::to_string(version) +
                       ", which this build of charloom (format " + std::to_string(model_format_version) +
                       ") cannot read; use a charloom release that reads format " + std::to_string(version));
  }
}

// A file must declare what its content uses: a writer that forgot would mislead older readers.
void check_declared_features(const ModelFile& model, const io::SafetensorsFile& file, const std::string& text,
                             const std::string& path) {
  const bool bf16 = std::any_of(file.tensors().begin(), file.tensors().end(),
                                [](const io::SafetensorsTensor& t) { return t.dtype == io::Dtype::bf16; });
  const std::map<std::string, int> declared = declared_features(text, path);
  for (const std::string& used : features_of(model, bf16 ? TensorStorage::bf16 : TensorStorage::f32))
    if (declared.count(used) == 0)
      throw InputError(path + " uses the feature '" + used + "' without listing it in " + key_features +
                       "; the file is damaged or was written by a faulty writer");
}

}  // namespace

const std::vector<FormatFeature>& known_format_features() {
  static const std::vector<FormatFeature> features{
      {"bidirectional", 3},          // classifier layers that also read each text backwards (rnn.*_reverse)
      {"class-language-models", 3},  // pairs of class language models and their weight
      {"calibration-scale", 3},      // the class language models' score scale
      {"bf16-tensors", 3},           // model tensors stored as BF16
      {"mixture", 4},                // further language models whose probabilities the model averages
  };
  return features;
}

std::vector<std::string> features_of(const ModelFile& model, TensorStorage storage) {
  std::vector<std::string> used;
  if (model.kind == sentiment_classifier_kind && model.config.bidirectional) used.emplace_back("bidirectional");
  if (!model.class_language_models.empty()) {
    used.emplace_back("class-language-models");
    if (model.class_language_model_scale != 1.0) used.emplace_back("calibration-scale");
  }
  if (storage == TensorStorage::bf16) used.emplace_back("bf16-tensors");
  if (!model.mixture_members.empty()) used.emplace_back("mixture");
  return used;
}

namespace {

// The features a file uses, each with the version that introduced it.
std::map<std::string, int> used_features(const ModelFile& model, TensorStorage storage) {
  std::map<std::string, int> features;
  for (const std::string& name : features_of(model, storage))
    for (const FormatFeature& feature : known_format_features())
      if (name == feature.name) features[name] = feature.version;
  return features;
}

// The oldest version that holds every feature used: older readers still read the rest.
int version_to_write(const std::map<std::string, int>& features) {
  int version = first_version_with_features;
  for (const auto& feature : features) version = std::max(version, feature.second);
  return version;
}

}  // namespace

std::string mixture_mismatch(const ModelFile& model, const ModelFile& member) {
  if (model.kind != language_model_kind || member.kind != language_model_kind)
    return "only language models mix, and one is a " + (model.kind == language_model_kind ? member.kind : model.kind);
  if (!(model.vocabulary == member.vocabulary))
    return "the vocabularies differ (a mixture needs models trained on one corpus's vocabulary)";
  return config_mismatch(model.config, member.config);
}

const NamedTensor* ModelFile::find(const std::string& name) const {
  for (const auto* list : {&tensors, &extra_tensors})
    for (const NamedTensor& tensor : *list)
      if (tensor.name == name) return &tensor;
  return nullptr;
}

void save_model_file(const std::string& path, const ModelFile& model, TensorStorage storage) {
  if (!model.class_language_models.empty() &&
      (model.kind != sentiment_classifier_kind || !valid_class_model_count(model.class_language_models.size())))
    throw Error("save_model_file: class language models come in pairs, in sentiment classifiers only");
  for (const ModelFile& member : model.mixture_members)
    if (const std::string why = mixture_mismatch(model, member); !why.empty()) throw Error("save_model_file: " + why);
  std::vector<io::SafetensorsEntry> entries;
  std::vector<HeaderTensor> table;
  std::vector<std::vector<std::uint16_t>> rounded;  // the BF16 copies the entries point into
  rounded.reserve(model.tensors.size() + model.extra_tensors.size() + 64);
  // The CRC runs over the tensors in file order, exactly the bytes of the data section.
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto add = [&](const std::string& name, const NamedTensor& tensor, bool may_round) {
    const bool bf16 = may_round && storage == TensorStorage::bf16;
    const void* data = tensor.values.data();
    std::size_t bytes = tensor.values.size() * sizeof(float);
    if (bf16) {
      rounded.push_back(io::to_bf16(tensor.values));
      data = rounded.back().data();
      bytes = rounded.back().size() * sizeof(std::uint16_t);
    }
    const io::Dtype dtype = bf16 ? io::Dtype::bf16 : io::Dtype::f32;
    entries.push_back({name, tensor.shape, dtype, data});
    table.push_back({name, tensor.shape, dtype});
    crc = crc32_update(crc, std::string_view(static_cast<const char*>(data), bytes));
  };
  for (const NamedTensor& tensor : model.tensors) add(tensor.name, tensor, true);
  for (const NamedTensor& tensor : model.extra_tensors) add(tensor.name, tensor, false);
  for (std::size_t i = 0; i < model.class_language_models.size(); ++i)
    for (const NamedTensor& tensor : model.class_language_models[i].tensors)
      add(class_model_prefix(i) + tensor.name, tensor, true);
  for (std::size_t i = 0; i < model.mixture_members.size(); ++i)
    for (const NamedTensor& tensor : model.mixture_members[i].tensors)
      add(mixture_prefix(i) + tensor.name, tensor, true);
  const std::map<std::string, int> features = used_features(model, storage);
  std::map<std::string, std::string> metadata{
      {key_version, std::to_string(version_to_write(features))},
      {key_kind, model.kind},
      {key_features, nlohmann::json(features).dump()},
      {key_vocabulary, model.vocabulary.to_json()},
      {key_config, config_to_json(model.config, model.kind).dump()},
      {key_training, model.training_json},
      {key_crc, hex32(static_cast<std::uint32_t>(crc))},
  };
  if (!model.checkpoint_json.empty()) metadata[key_checkpoint] = model.checkpoint_json;
  if (!model.class_language_models.empty()) metadata[key_class_models] = class_models_json(model);
  if (!model.mixture_members.empty()) metadata[key_mixture] = mixture_json(model);
  metadata[key_header_crc] = hex32(crc32_of(header_content(metadata, table)));
  io::write_safetensors(path, entries, metadata);
}

std::string io::header_checksum(const std::map<std::string, std::string>& metadata, const io::SafetensorsFile& file) {
  std::vector<HeaderTensor> table;
  for (const io::SafetensorsTensor& tensor : file.tensors()) table.push_back({tensor.name, tensor.shape, tensor.dtype});
  return hex32(crc32_of(header_content(metadata, table)));
}

ModelFile load_model_file(const std::string& path) { return io::parse_model_file(io::read_file(path), path); }

ModelFile io::parse_model_file(std::string bytes, const std::string& path) {
  const io::SafetensorsFile file = io::SafetensorsFile::parse(std::move(bytes), path);
  const auto& metadata = file.metadata();
  auto field = [&](const char* key) -> const std::string& {
    auto found = metadata.find(key);
    if (found == metadata.end()) throw InputError(path + ": not a charloom model (no " + key + " metadata)");
    return found->second;
  };
  const std::string& version_text = field(key_version);
  int version = 0;
  try {
    version = std::stoi(version_text);
  } catch (const std::exception&) {
    throw InputError(path + ": format version '" + version_text + "' is not a number");
  }
  if (version > model_format_version || version < 1)
    throw InputError(path + " has model format version " + version_text + "; this build of charloom reads version " +
                     std::to_string(model_format_version) + "; use a charloom release that supports it");
  // Before anything else is read: a feature this build does not know may change what the rest
  // means, even how the checksums are made.
  if (version >= first_version_with_features) refuse_unknown_features(field(key_features), path);
  if (version >= first_version_with_header_crc) {
    const std::string actual_header_crc = io::header_checksum(metadata, file);
    if (field(key_header_crc) != actual_header_crc)
      throw InputError(path + ": header checksum mismatch (the file says " + field(key_header_crc) +
                       ", the header gives " + actual_header_crc +
                       "); the file is damaged: use another copy or checkpoint");
  }
  const std::string actual_crc = hex32(crc32_of(file.data()));
  if (field(key_crc) != actual_crc)
    throw InputError(path + ": tensor data checksum mismatch (the file says " + field(key_crc) + ", the data gives " +
                     actual_crc + "); the file is damaged: use another copy or checkpoint");

  ModelFile model;
  model.kind = field(key_kind);
  model.config = config_from_json(field(key_config), path);
  model.vocabulary = Vocabulary::from_json(field(key_vocabulary), model.config.text.unit);
  if (static_cast<int>(model.vocabulary.size()) != model.config.vocabulary_size)
    throw InputError(path + ": the vocabulary has " + std::to_string(model.vocabulary.size()) +
                     " entries but the config says " + std::to_string(model.config.vocabulary_size));
  if (auto training = metadata.find(key_training); training != metadata.end()) model.training_json = training->second;
  if (auto checkpoint = metadata.find(key_checkpoint); checkpoint != metadata.end())
    model.checkpoint_json = checkpoint->second;

  std::vector<NamedTensor> all = read_tensors(file);
  // The model's own tensors (checked against the config), the class models', then the rest.
  take_tensors(all, layout_of(model, path), "", model.tensors, path);
  if (auto models = metadata.find(key_class_models); models != metadata.end())
    read_class_models(model, models->second, all, path);
  if (auto mixture = metadata.find(key_mixture); mixture != metadata.end())
    read_mixture(model, mixture->second, all, path);
  model.extra_tensors = std::move(all);
  if (version >= first_version_with_features) check_declared_features(model, file, field(key_features), path);
  return model;
}

}  // namespace charloom
