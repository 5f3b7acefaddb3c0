// safetensors reading and writing with nlohmann-json for the header.
#include "io/safetensors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

#include "charloom/errors.hpp"
#include "io/atomic_file.hpp"
#include "io/file_reader.hpp"

namespace charloom::io {
namespace {

// A header larger than this is not a model file (safetensors itself caps it at 100 MB).
constexpr std::uint64_t max_header_bytes = 100u << 20;

std::size_t element_count(const std::vector<std::int64_t>& shape) {
  std::size_t count = 1;
  for (std::int64_t extent : shape) count *= static_cast<std::size_t>(extent);
  return count;
}

std::size_t element_bytes(Dtype dtype) { return dtype == Dtype::bf16 ? 2 : 4; }
const char* dtype_name(Dtype dtype) { return dtype == Dtype::bf16 ? "BF16" : "F32"; }

}  // namespace

std::vector<std::uint16_t> to_bf16(const std::vector<float>& values) {
  std::vector<std::uint16_t> out(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &values[i], 4);
    if ((bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu) != 0) {
      out[i] = static_cast<std::uint16_t>((bits >> 16) | 0x40u);  // a quiet NaN
      continue;
    }
    bits += 0x7FFFu + ((bits >> 16) & 1u);
    out[i] = static_cast<std::uint16_t>(bits >> 16);
  }
  return out;
}

void write_safetensors(const std::string& path, const std::vector<SafetensorsEntry>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  std::size_t offset = 0;
  for (const SafetensorsEntry& tensor : tensors) {
    const std::size_t bytes = element_count(tensor.shape) * element_bytes(tensor.dtype);
    header[tensor.name] = {
        {"dtype", dtype_name(tensor.dtype)}, {"shape", tensor.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  header["__metadata__"] = metadata;
  std::string text = header.dump();
  // Pad with spaces so the tensor data starts 8-byte aligned, as the format recommends.
  text.append((8 - text.size() % 8) % 8, ' ');
  const std::uint64_t length = text.size();
  char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((length >> (8 * i)) & 0xFF);
  write_atomically(path, [&](const auto& append) {
    append(std::string_view(prefix, 8));
    append(text);
    for (const SafetensorsEntry& tensor : tensors)
      append(std::string_view(static_cast<const char*>(tensor.data),
                              element_count(tensor.shape) * element_bytes(tensor.dtype)));
  });
}

SafetensorsFile SafetensorsFile::read(const std::string& path) { return parse(read_file(path), path); }

SafetensorsFile SafetensorsFile::parse(std::string content, const std::string& path) {
  auto bad = [&](const std::string& what) { return InputError(path + ": " + what); };
  if (content.size() < 8)
    throw bad("truncated: " + std::to_string(content.size()) + " bytes, too short for a model file");
  std::uint64_t header_length = 0;
  for (int i = 0; i < 8; ++i)
    header_length |= static_cast<std::uint64_t>(static_cast<unsigned char>(content[i])) << (8 * i);
  if (header_length > max_header_bytes)
    throw bad("not a model file (its header length field is " + std::to_string(header_length) + ")");
  if (8 + header_length > content.size())
    throw bad("truncated: the header needs " + std::to_string(header_length) + " bytes but the file ends after " +
              std::to_string(content.size() - 8));
  nlohmann::json header =
      nlohmann::json::parse(content.begin() + 8, content.begin() + 8 + static_cast<std::ptrdiff_t>(header_length),
                            nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) throw bad("the header is not valid JSON; the file is damaged or not a model");

  SafetensorsFile file;
  // Keep the tensor bytes without a second copy of the file.
  content.erase(0, 8 + header_length);
  file.data_ = std::move(content);
  for (auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) throw bad("__metadata__ is not an object");
      for (auto& [name, text] : value.items()) {
        if (!text.is_string()) throw bad("metadata " + name + " is not a string");
        file.metadata_[name] = text.get<std::string>();
      }
      continue;
    }
    if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") || !value.contains("data_offsets"))
      throw bad("tensor " + key + " lacks dtype, shape or data_offsets");
    if (value["dtype"] != "F32" && value["dtype"] != "BF16")
      throw bad("tensor " + key + " has dtype " + value["dtype"].dump() + "; charloom reads F32 and BF16");
    SafetensorsTensor tensor;
    tensor.name = key;
    tensor.dtype = value["dtype"] == "BF16" ? Dtype::bf16 : Dtype::f32;
    const auto& shape = value["shape"];
    const auto& offsets = value["data_offsets"];
    if (!shape.is_array() || !offsets.is_array() || offsets.size() != 2)
      throw bad("tensor " + key + " has a malformed shape or offsets");
    for (const auto& extent : shape) {
      if (!extent.is_number_unsigned() || extent.get<std::uint64_t>() > (1ull << 32))
        throw bad("tensor " + key + " has a malformed shape");
      tensor.shape.push_back(extent.get<std::int64_t>());
    }
    if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
      throw bad("tensor " + key + " has malformed offsets");
    tensor.begin = offsets[0].get<std::size_t>();
    tensor.end = offsets[1].get<std::size_t>();
    if (tensor.begin > tensor.end || tensor.end > file.data_.size())
      throw bad("truncated: tensor " + key + " needs bytes up to " + std::to_string(tensor.end) +
                " but the data holds " + std::to_string(file.data_.size()));
    if (tensor.end - tensor.begin != element_count(tensor.shape) * element_bytes(tensor.dtype))
      throw bad("tensor " + key + "'s byte range does not match its shape");
    file.tensors_.push_back(std::move(tensor));
  }
  std::sort(file.tensors_.begin(), file.tensors_.end(), [](const auto& a, const auto& b) { return a.begin < b.begin; });
  for (std::size_t i = 1; i < file.tensors_.size(); ++i)
    if (file.tensors_[i].begin < file.tensors_[i - 1].end)
      throw bad("tensors " + file.tensors_[i - 1].name + " and " + file.tensors_[i].name + " overlap");
  return file;
}

const SafetensorsTensor* SafetensorsFile::find(const std::string& name) const {
  for (const SafetensorsTensor& tensor : tensors_)
    if (tensor.name == name) return &tensor;
  return nullptr;
}

std::vector<float> SafetensorsFile::values(const SafetensorsTensor& tensor) const {
  const char* bytes = data_.data() + tensor.begin;
  std::vector<float> values((tensor.end - tensor.begin) / element_bytes(tensor.dtype));
  if (tensor.dtype == Dtype::f32) {
    std::memcpy(values.data(), bytes, tensor.end - tensor.begin);
    return values;
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::uint16_t half = 0;
    std::memcpy(&half, bytes + 2 * i, 2);
    const std::uint32_t bits = static_cast<std::uint32_t>(half) << 16;
    std::memcpy(&values[i], &bits, 4);
  }
  return values;
}

}  // namespace charloom::io
