// Labeled files to ids in one pass: the text layer's units straight into ids.
#include "data/labeled_dataset.hpp"

#include <zlib.h>

#include <functional>
#include <unordered_map>

#include "charloom/errors.hpp"

namespace charloom::data {
namespace {

// Reads every record, giving each unit to `id_of` and keeping the first max_length ids.
LabeledDataset read_ids(const std::string& path, const LabeledEncoding& encoding,
                        const std::function<std::uint32_t(std::string_view)>& id_of) {
  LabeledDataset data;
  for_each_labeled_text(path, encoding.input, [&](LabeledText&& record) {
    const std::string where = path + ":" + std::to_string(record.line);
    std::vector<std::uint32_t> ids;
    Tokenizer tokenizer(encoding.text, where, [&](std::string_view unit) {
      const std::uint32_t id = id_of(unit);
      if (ids.size() < encoding.max_length) ids.push_back(id);
    });
    tokenizer.feed(record.text);
    tokenizer.finish();
    if (ids.empty()) throw InputError(where + ": the text is empty; remove the line or give it text");
    data.texts.push_back(std::move(ids));
    data.labels.push_back(*record.label);
    data.targets.push_back(static_cast<float>(record.soft_label.value_or(*record.label)));
  });
  if (data.labels.empty()) throw InputError(path + " has no labeled texts");
  return data;
}

}  // namespace

std::uint32_t LabeledDataset::fingerprint() const {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const unsigned char label = static_cast<unsigned char>(labels[i]);
    crc = crc32(crc, &label, 1);
    // Hard labels add nothing more, so that the fingerprints of files without soft labels stay as they were.
    if (targets[i] != static_cast<float>(labels[i]))
      crc = crc32(crc, reinterpret_cast<const Bytef*>(&targets[i]), sizeof(float));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(texts[i].data()),
                static_cast<uInt>(texts[i].size() * sizeof(std::uint32_t)));
  }
  return static_cast<std::uint32_t>(crc);
}

LabeledDataset read_labeled_dataset(const std::string& path, const LabeledEncoding& encoding,
                                    const Vocabulary& vocabulary) {
  return read_ids(path, encoding, [&](std::string_view unit) { return vocabulary.id_of(unit); });
}

LabeledDataset read_labeled_dataset(const std::string& path, const LabeledEncoding& encoding, std::uint64_t min_count,
                                    Vocabulary& built) {
  // Provisional ids in order of first sight, counted as they come; once the vocabulary is
  // known they map to its ids.
  UnitCounts counts;
  std::unordered_map<std::string, std::uint32_t, TransparentStringHash, std::equal_to<>> provisional;
  std::vector<std::string> names;
  LabeledDataset data = read_ids(path, encoding, [&](std::string_view unit) {
    counts.add(unit);
    auto found = provisional.find(unit);
    if (found != provisional.end()) return found->second;
    names.emplace_back(unit);
    return provisional.emplace(names.back(), static_cast<std::uint32_t>(names.size() - 1)).first->second;
  });
  built = Vocabulary::build(counts, encoding.text.unit, min_count);
  std::vector<std::uint32_t> final_id(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) final_id[i] = built.id_of(names[i]);
  for (auto& text : data.texts)
    for (std::uint32_t& id : text) id = final_id[id];
  return data;
}

}  // namespace charloom::data
