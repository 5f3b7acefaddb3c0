// The flat tensor layout's bookkeeping.
#include "format/tensor_layout.hpp"

#include "charloom/errors.hpp"

namespace charloom::format {

std::size_t TensorInfo::size() const {
  std::size_t count = 1;
  for (std::int64_t extent : shape) count *= static_cast<std::size_t>(extent);
  return count;
}

std::size_t ParameterLayout::add(std::string name, std::vector<std::int64_t> shape) {
  TensorInfo info{std::move(name), std::move(shape), total_};
  total_ += info.size();
  tensors_.push_back(std::move(info));
  return tensors_.back().offset;
}

const TensorInfo& ParameterLayout::find(const std::string& name) const {
  for (const TensorInfo& info : tensors_)
    if (info.name == name) return info;
  throw Error("no parameter named " + name);
}

}  // namespace charloom::format
