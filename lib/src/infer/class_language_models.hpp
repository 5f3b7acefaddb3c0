// A sentiment classifier's class language models: how much likelier a text is under the
// positive class's language model than under the negative one's.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "charloom/model_file.hpp"
#include "nn/network.hpp"

namespace charloom::infer {

class ClassLanguageModels {
 public:
  // `file` is a sentiment classifier's with its two class models. Their vocabularies may
  // differ from the classifier's and each other's: a unit either lacks is left out of both scores.
  ClassLanguageModels(const ModelFile& file, Precision precision);

  double weight() const { return weight_; }

  // log p(text | positive) - log p(text | negative) of each text (ids in the classifier's
  // vocabulary), every unit after the first predicted; `batch` texts at a time.
  std::vector<double> log_ratios(const std::vector<std::vector<std::uint32_t>>& texts, int batch);

  // The same ratio of the text up to and including each unit.
  std::vector<double> running_log_ratio(const std::vector<std::uint32_t>& text);

 private:
  struct Ids {
    std::vector<std::uint32_t> negative, positive;
  };
  // The text in each class model's ids, and for each unit they read its index in `text`.
  Ids model_ids(const std::vector<std::uint32_t>& text, std::vector<std::size_t>* positions = nullptr) const;

  nn::Network negative_, positive_;
  // Per classifier id: the negative and the positive model's ids, or none when either lacks the unit.
  std::vector<std::optional<std::pair<std::uint32_t, std::uint32_t>>> model_ids_;
  double weight_;
};

}  // namespace charloom::infer
