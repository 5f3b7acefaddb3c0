// Named tensors laid out in one flat buffer: the table of names, shapes and offsets that the
// model file and the networks share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace charloom::format {

struct TensorInfo {
  std::string name;  // PyTorch state_dict name, e.g. "rnn.weight_ih_l0"
  std::vector<std::int64_t> shape;
  std::size_t offset = 0;  // in floats, into the flat buffer
  std::size_t size() const;
};

class ParameterLayout {
 public:
  // Appends a tensor and returns its offset.
  std::size_t add(std::string name, std::vector<std::int64_t> shape);
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo& find(const std::string& name) const;  // throws Error when absent
  std::size_t total() const { return total_; }

 private:
  std::vector<TensorInfo> tensors_;
  std::size_t total_ = 0;
};

}  // namespace charloom::format
