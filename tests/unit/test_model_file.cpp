// The model file: lossless round trips, and clear refusals of newer, truncated or damaged files.
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include <cmath>

#include "charloom/errors.hpp"
#include "charloom/model_file.hpp"
#include "format/model_layout.hpp"
#include "io/model_bytes.hpp"
#include "test_helpers.hpp"

using namespace charloom;

namespace {

ModelFile small_model() {
  ModelFile model;
  model.config.cell = CellKind::gru;
  model.config.layers = 1;
  model.config.hidden = 3;
  model.config.embedding_size = 2;
  UnitCounts counts;
  for (const char* unit : {"a", "b", "\xC3\xA9"}) counts.add(unit);
  model.vocabulary = Vocabulary::build(counts, TextUnit::codepoint);
  model.config.vocabulary_size = static_cast<int>(model.vocabulary.size());
  float value = 0.25f;
  const format::ParameterLayout layout = format::language_model_layout(model.config);
  for (const auto& info : layout.tensors()) {
    std::vector<float> values(info.size());
    for (float& v : values) v = (value += 0.5f);
    model.tensors.push_back({info.name, info.shape, values});
  }
  model.extra_tensors.push_back({"optimizer.exp_avg", {4}, {1, 2, 3, 4}});
  model.checkpoint_json = R"({"step":3})";
  return model;
}

std::string load_error(const std::string& bytes) {
  testing::TempFile file(bytes, ".safetensors");
  try {
    load_model_file(file.path());
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a model file round-trips every tensor, the config and the vocabulary") {
  const ModelFile original = small_model();
  testing::TempFile file("", ".safetensors");
  save_model_file(file.path(), original);
  const ModelFile loaded = load_model_file(file.path());
  CHECK(loaded.kind == "language-model");
  CHECK(loaded.config.cell == CellKind::gru);
  CHECK(loaded.config.hidden == 3);
  CHECK(loaded.vocabulary == original.vocabulary);
  CHECK(loaded.checkpoint_json == original.checkpoint_json);
  REQUIRE(loaded.tensors.size() == original.tensors.size());
  for (std::size_t i = 0; i < original.tensors.size(); ++i) {
    CHECK(loaded.tensors[i].name == original.tensors[i].name);
    CHECK(loaded.tensors[i].shape == original.tensors[i].shape);
    CHECK(loaded.tensors[i].values == original.tensors[i].values);
  }
  REQUIRE(loaded.extra_tensors.size() == 1);
  CHECK(loaded.extra_tensors[0].values == std::vector<float>{1, 2, 3, 4});
  // The header is plain safetensors: an 8-byte length, JSON with the metadata keys.
  const std::string bytes = testing::read_bytes(file.path());
  std::uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  const std::string header = bytes.substr(8, header_length);
  for (const char* key : {"\"charloom.format_version\":\"3\"", "\"charloom.features\":\"{}\"",
                          "\"charloom.header_crc32\"", "\"charloom.kind\":\"language-model\"",
                          "\"charloom.vocabulary\":\"[\\\"<unk>\\\",\\\"a\\\",\\\"b\\\",\\\"é\\\"]\"",
                          "\"charloom.config\"", "\"charloom.tensor_crc32\"", "\"dtype\":\"F32\",\"shape\":[9,2]"})
    CHECK(header.find(key) != std::string::npos);
  CHECK(header_length % 8 == 0);
}

TEST_CASE("a newer format version is refused, naming both versions") {
  testing::TempFile file("", ".safetensors");
  save_model_file(file.path(), small_model());
  std::string bytes = testing::read_bytes(file.path());
  const std::string current = "\"charloom.format_version\":\"3\"";
  bytes.replace(bytes.find(current), current.size(), "\"charloom.format_version\":\"7\"");
  const std::string message = load_error(bytes);
  CHECK(message.find("has model format version 7") != std::string::npos);
  CHECK(message.find("reads version " + std::to_string(model_format_version)) != std::string::npos);
}

namespace {

// The file's bytes with one metadata value replaced and the header checksum made to agree, as
// a writer of that content would have written them.
std::string with_metadata(const ModelFile& model, const std::string& key, const std::string& value) {
  testing::TempFile file("", ".safetensors");
  save_model_file(file.path(), model);
  const std::string bytes = testing::read_bytes(file.path());
  std::uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  nlohmann::json header = nlohmann::json::parse(bytes.substr(8, header_length));
  std::map<std::string, std::string> metadata = header["__metadata__"].get<std::map<std::string, std::string>>();
  metadata[key] = value;
  metadata["charloom.header_crc32"] = io::header_checksum(metadata, io::SafetensorsFile::parse(bytes, file.path()));
  header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const std::uint64_t length = text.size();
  std::memcpy(out.data(), &length, 8);
  return out + text + bytes.substr(8 + header_length);
}

}  // namespace

TEST_CASE("a file that uses a feature this build does not know is refused, naming it and its version") {
  // A classifier whose class language models a reader did not know would score differently,
  // silently: the feature list is what stops that.
  const std::string bytes = with_metadata(small_model(), "charloom.features", R"({"sparse-heads":4})");
  const std::string message = load_error(bytes);
  CHECK(message.find("uses the feature 'sparse-heads' of model format 4") != std::string::npos);
  CHECK(message.find("use a charloom release that reads format 4") != std::string::npos);
  CHECK(load_error(with_metadata(small_model(), "charloom.features", "[1]")).find("not a JSON object") !=
        std::string::npos);
}

TEST_CASE("the features a model uses are listed, and a file that hides one is refused") {
  ModelFile classifier = small_model();
  classifier.kind = sentiment_classifier_kind;
  classifier.config.bidirectional = true;
  classifier.extra_tensors.clear();
  classifier.checkpoint_json.clear();
  classifier.tensors.clear();
  const format::ParameterLayout layout = format::classifier_layout(classifier.config);
  for (const auto& info : layout.tensors())
    classifier.tensors.push_back({info.name, info.shape, std::vector<float>(info.size(), 0.5f)});
  CHECK(features_of(classifier) == std::vector<std::string>{"bidirectional"});
  CHECK(features_of(classifier, TensorStorage::bf16) == std::vector<std::string>{"bidirectional", "bf16-tensors"});
  testing::TempFile file("", ".safetensors");
  save_model_file(file.path(), classifier);
  CHECK(load_model_file(file.path()).config.bidirectional);
  // The same file claiming no features: its header checksum is fixed up, but the content
  // still reads backwards, which its list must say.
  std::string hidden = with_metadata(classifier, "charloom.features", "{}");
  const std::string message = load_error(hidden);
  CHECK(message.find("uses the feature 'bidirectional' without listing it") != std::string::npos);
}

TEST_CASE("BF16 tensors load as the f32 values they round to, at half the size") {
  ModelFile model = small_model();
  model.tensors[0].values[0] = 1.00390625f;  // 1 + 2^-8: exactly halfway, rounds to even (1.0)
  model.tensors[0].values[1] = 1.01171875f;  // 1 + 3 * 2^-8: halfway, rounds up to 1 + 2^-6
  model.tensors[0].values[2] = -3.1415927f;  // rounds to -3.140625
  testing::TempFile f32("", ".safetensors"), bf16("", ".safetensors");
  save_model_file(f32.path(), model);
  save_model_file(bf16.path(), model, TensorStorage::bf16);
  const ModelFile loaded = load_model_file(bf16.path());
  CHECK(loaded.tensors[0].values[0] == 1.0f);
  CHECK(loaded.tensors[0].values[1] == 1.015625f);
  CHECK(loaded.tensors[0].values[2] == -3.140625f);
  for (std::size_t t = 0; t < model.tensors.size(); ++t)
    for (std::size_t i = 0; i < model.tensors[t].values.size(); ++i)
      CHECK(std::abs(loaded.tensors[t].values[i] - model.tensors[t].values[i]) <=
            std::abs(model.tensors[t].values[i]) / 256.0f);
  // Checkpoint state stays f32, exactly.
  REQUIRE(loaded.extra_tensors.size() == 1);
  CHECK(loaded.extra_tensors[0].values == std::vector<float>{1, 2, 3, 4});
  CHECK(testing::read_bytes(bf16.path()).find("\"dtype\":\"BF16\"") != std::string::npos);
  CHECK(testing::read_bytes(bf16.path()).find("bf16-tensors") != std::string::npos);
  // Loading again and saving as BF16 changes nothing: the values are already BF16.
  testing::TempFile again("", ".safetensors");
  save_model_file(again.path(), loaded, TensorStorage::bf16);
  CHECK(load_model_file(again.path()).tensors[3].values == loaded.tensors[3].values);
}

TEST_CASE("every flipped bit in the header is refused, and format 1 files still load") {
  testing::TempFile file("", ".safetensors");
  save_model_file(file.path(), small_model());
  const std::string bytes = testing::read_bytes(file.path());
  std::uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  std::size_t checksum_catches = 0;
  for (std::size_t at = 0; at < 8 + header_length; ++at) {
    for (int bit = 0; bit < 8; bit += 3) {
      std::string damaged = bytes;
      damaged[at] = static_cast<char>(damaged[at] ^ (1 << bit));
      CAPTURE(at);
      CAPTURE(bit);
      const std::string message = load_error(damaged);
      CHECK_FALSE(message.empty());
      if (message.find("header checksum mismatch") != std::string::npos) ++checksum_catches;
    }
  }
  CHECK(checksum_catches > header_length);  // the checksum, not luck, catches most of them
  // The golden model predates the header checksum (format 1): it loads as it is.
  CHECK(
      load_model_file(std::string(CHARLOOM_SAMPLES_DIR) + "/../../tests/golden/tiny-lstm.safetensors").config.hidden ==
      32);
}

TEST_CASE("a file truncated at any length is refused with a clear error") {
  testing::TempFile file("", ".safetensors");
  save_model_file(file.path(), small_model());
  const std::string bytes = testing::read_bytes(file.path());
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    CAPTURE(length);
    const std::string message = load_error(bytes.substr(0, length));
    CHECK_FALSE(message.empty());
  }
  CHECK(load_error(bytes.substr(0, 5)).find("truncated") != std::string::npos);
  CHECK(load_error(bytes.substr(0, bytes.size() - 1)).find("truncated") != std::string::npos);
}

TEST_CASE("every flipped bit in the tensor data is caught by the checksum") {
  testing::TempFile file("", ".safetensors");
  save_model_file(file.path(), small_model());
  const std::string bytes = testing::read_bytes(file.path());
  std::uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  for (std::size_t at = 8 + header_length; at < bytes.size(); ++at) {
    for (int bit = 0; bit < 8; bit += 3) {
      std::string damaged = bytes;
      damaged[at] = static_cast<char>(damaged[at] ^ (1 << bit));
      CAPTURE(at);
      CHECK(load_error(damaged).find("checksum mismatch") != std::string::npos);
    }
  }
}

TEST_CASE("files that are not charloom models are refused") {
  CHECK(load_error("").find("truncated") != std::string::npos);
  CHECK(load_error(std::string("\xff\xff\xff\xff\xff\xff\xff\xff", 8)).find("not a model file") != std::string::npos);
  CHECK(load_error(std::string("\x02\x00\x00\x00\x00\x00\x00\x00{}", 10)).find("no charloom.format_version") !=
        std::string::npos);
  CHECK(load_error(std::string("\x04\x00\x00\x00\x00\x00\x00\x00[1,]", 12)).find("not valid JSON") !=
        std::string::npos);
}
