// Compact storage for a corpus's ids: two bytes each whenever the vocabulary allows.
#include <limits>

#include "charloom/corpus.hpp"

namespace charloom {

TokenIds::TokenIds(std::size_t vocabulary_size)
    : wide_(vocabulary_size > std::numeric_limits<std::uint16_t>::max() + std::size_t{1}) {}

void TokenIds::reserve(std::size_t count) {
  if (wide_) {
    wide_ids_.reserve(count);
  } else {
    narrow_ids_.reserve(count);
  }
}

void TokenIds::push_back(std::uint32_t id) {
  if (wide_) {
    wide_ids_.push_back(id);
  } else {
    narrow_ids_.push_back(static_cast<std::uint16_t>(id));
  }
}

std::vector<std::uint32_t> TokenIds::slice(std::size_t begin, std::size_t end) const {
  std::vector<std::uint32_t> ids;
  ids.reserve(end - begin);
  for (std::size_t i = begin; i < end; ++i) ids.push_back((*this)[i]);
  return ids;
}

}  // namespace charloom
