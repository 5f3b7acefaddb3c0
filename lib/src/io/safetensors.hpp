// The safetensors container: an 8-byte little-endian header length, a JSON header naming
// each tensor's dtype, shape and byte range, string metadata, then the raw tensor bytes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace charloom::io {

// The element types charloom reads: F32, and BF16 (the top half of an F32), which widens on load.
enum class Dtype { f32, bf16 };

struct SafetensorsEntry {
  std::string name;
  std::vector<std::int64_t> shape;
  Dtype dtype = Dtype::f32;
  const void* data = nullptr;  // the stored bytes, little-endian on this (x86-64) machine
};

// F32 values rounded to BF16, to nearest with ties to even (NaN stays NaN).
std::vector<std::uint16_t> to_bf16(const std::vector<float>& values);

// Writes atomically (NAME.tmp, fsync, rename). Tensors are stored in the given order.
void write_safetensors(const std::string& path, const std::vector<SafetensorsEntry>& tensors,
                       const std::map<std::string, std::string>& metadata);

struct SafetensorsTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  Dtype dtype = Dtype::f32;
  std::size_t begin = 0, end = 0;  // byte range within data()
};

class SafetensorsFile {
 public:
  // Reads and checks the container (sizes, offsets, dtypes); throws InputError naming the
  // file and what is wrong for anything truncated or inconsistent.
  static SafetensorsFile read(const std::string& path);
  // The same for a file's bytes already in memory; `path` names it in errors.
  static SafetensorsFile parse(std::string content, const std::string& path);

  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
  const SafetensorsTensor* find(const std::string& name) const;
  const std::string& data() const { return data_; }
  // A tensor's values as floats (BF16 widened exactly).
  std::vector<float> values(const SafetensorsTensor& tensor) const;

 private:
  std::map<std::string, std::string> metadata_;
  std::vector<SafetensorsTensor> tensors_;
  std::string data_;
};

}  // namespace charloom::io
