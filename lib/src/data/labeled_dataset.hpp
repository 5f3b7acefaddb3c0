// Labeled texts as unit ids, for training and evaluating classifiers: read through the labeled
// readers, cut into units by the text layer, and turned into ids once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "charloom/labeled_text.hpp"
#include "charloom/text.hpp"
#include "charloom/vocabulary.hpp"

namespace charloom::data {

struct LabeledDataset {
  std::vector<std::vector<std::uint32_t>> texts;  // each cut to its first max_length units
  std::vector<int> labels;                        // 0 or 1
  // What training fits, P(positive): the soft label where the text had one, else the label.
  std::vector<float> targets;
  // A CRC-32 over the ids, labels and soft labels: a resumed run checks that its data is the same.
  std::uint32_t fingerprint() const;
};

struct LabeledEncoding {
  LabeledReaderOptions input;
  TextOptions text;
  std::size_t max_length = 1000;
};

// Each unit becomes its id in `vocabulary`, unknown ones the unknown id. Throws InputError
// naming FILE:LINE for a bad record or an empty text, and for a file without records.
LabeledDataset read_labeled_dataset(const std::string& path, const LabeledEncoding& encoding,
                                    const Vocabulary& vocabulary);

// The same with the vocabulary built from this file's units (all of each text's, past
// max_length too), keeping units seen at least min_count times.
LabeledDataset read_labeled_dataset(const std::string& path, const LabeledEncoding& encoding, std::uint64_t min_count,
                                    Vocabulary& built);

}  // namespace charloom::data
