// The model file: lossless round trips, and clear refusals of newer, truncated or damaged files.
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "charloom/errors.hpp"
#include "charloom/model_file.hpp"
#include "nn/model_layout.hpp"
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
  const nn::ParameterLayout layout = nn::language_model_layout(model.config);
  for (const auto& info : layout.tensors()) {
    std::vector<float> values(info.size());
    for (float& v : values) v = (value += 0.5f);
    model.tensors.push_back({info.name, info.shape, values});
  }
  model.extra_tensors.push_back({"optimizer.exp_avg", {4}, {1, 2, 3, 4}});
  model.checkpoint_json = R"({"step":3})";
  return model;
}

std::string read_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
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
  const std::string bytes = read_bytes(file.path());
  std::uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  const std::string header = bytes.substr(8, header_length);
  for (const char* key :
       {"\"charloom.format_version\":\"2\"", "\"charloom.header_crc32\"", "\"charloom.kind\":\"language-model\"",
        "\"charloom.vocabulary\":\"[\\\"<unk>\\\",\\\"a\\\",\\\"b\\\",\\\"é\\\"]\"", "\"charloom.config\"",
        "\"charloom.tensor_crc32\"", "\"dtype\":\"F32\",\"shape\":[9,2]"})
    CHECK(header.find(key) != std::string::npos);
  CHECK(header_length % 8 == 0);
}

TEST_CASE("a newer format version is refused, naming both versions") {
  testing::TempFile file("", ".safetensors");
  save_model_file(file.path(), small_model());
  std::string bytes = read_bytes(file.path());
  const std::string current = "\"charloom.format_version\":\"2\"";
  bytes.replace(bytes.find(current), current.size(), "\"charloom.format_version\":\"7\"");
  const std::string message = load_error(bytes);
  CHECK(message.find("has model format version 7") != std::string::npos);
  CHECK(message.find("reads version 2") != std::string::npos);
}

TEST_CASE("every flipped bit in the header is refused, and format 1 files still load") {
  testing::TempFile file("", ".safetensors");
  save_model_file(file.path(), small_model());
  const std::string bytes = read_bytes(file.path());
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
  const std::string bytes = read_bytes(file.path());
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
  const std::string bytes = read_bytes(file.path());
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
