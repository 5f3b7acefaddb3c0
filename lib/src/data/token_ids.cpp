// Compact storage for a corpus's ids: two bytes each whenever the vocabulary allows.
#include <limits>

#include <zlib.h>

#include <algorithm>

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

std::uint32_t TokenIds::fingerprint() const {
  // The ids' values, whatever their width in memory, in pieces zlib's uInt lengths can take.
  const auto* bytes =
      wide_ ? reinterpret_cast<const Bytef*>(wide_ids_.data()) : reinterpret_cast<const Bytef*>(narrow_ids_.data());
  std::size_t left = size() * id_bytes();
  uLong crc = crc32(0L, Z_NULL, 0);
  const unsigned char width = static_cast<unsigned char>(id_bytes());
  crc = crc32(crc, &width, 1);
  while (left > 0) {
    const std::size_t piece = std::min<std::size_t>(left, 1u << 30);
    crc = crc32(crc, bytes, static_cast<uInt>(piece));
    bytes += piece;
    left -= piece;
  }
  return static_cast<std::uint32_t>(crc);
}

}  // namespace charloom
