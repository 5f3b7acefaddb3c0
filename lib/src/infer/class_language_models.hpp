// A sentiment classifier's class language models: how much likelier a text is under the
// positive class's language model than under the negative one's.
#pragma once

#include <cstdint>
#include <vector>

#include "charloom/model_file.hpp"
#include "nn/network.hpp"

namespace charloom::infer {

class ClassLanguageModels {
 public:
  // `file` is a sentiment classifier's with its two class models; their vocabulary may differ
  // from the classifier's: units they lack are left out of their scores.
  ClassLanguageModels(const ModelFile& file, Precision precision);

  double weight() const { return weight_; }

  // log p(text | positive) - log p(text | negative) of each text (ids in the classifier's
  // vocabulary), every unit after the first predicted; `batch` texts at a time.
  std::vector<double> log_ratios(const std::vector<std::vector<std::uint32_t>>& texts, int batch);

  // The same ratio of the text up to and including each unit.
  std::vector<double> running_log_ratio(const std::vector<std::uint32_t>& text);

 private:
  // The text in the class models' ids, and for each of those units its index in `text`.
  std::vector<std::uint32_t> model_ids(const std::vector<std::uint32_t>& text,
                                       std::vector<std::size_t>* positions = nullptr) const;

  nn::Network negative_, positive_;
  std::vector<std::int64_t> model_id_;  // per classifier id: the class models' id, or -1
  double weight_;
};

}  // namespace charloom::infer
