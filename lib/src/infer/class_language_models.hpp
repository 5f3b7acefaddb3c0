// A sentiment classifier's class language models: how much likelier a text is under the
// positive class's language models than under the negative class's.
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
  // `file` is a sentiment classifier's with its pairs of class models. Their vocabularies may
  // differ from the classifier's and each other's: a unit either model of a pair lacks is left
  // out of both of that pair's scores.
  ClassLanguageModels(const ModelFile& file, Precision precision);

  // The score's logit: the classifier's logit plus the weighted ratio, times the scale.
  double combined_logit(double logit, double ratio) const { return scale_ * (logit + weight_ * ratio); }

  // The sum over the pairs of log p(text | positive) - log p(text | negative) of each text (ids
  // in the classifier's vocabulary), every unit after the first predicted; `batch` texts at a time.
  std::vector<double> log_ratios(const std::vector<std::vector<std::uint32_t>>& texts, int batch);

  // The same sum of the text up to and including each unit.
  std::vector<double> running_log_ratio(const std::vector<std::uint32_t>& text);

 private:
  struct Ids {
    std::vector<std::uint32_t> negative, positive;
  };
  struct Pair {
    nn::Network negative, positive;
    // Per classifier id: the negative and the positive model's ids, or none when either lacks the unit.
    std::vector<std::optional<std::pair<std::uint32_t, std::uint32_t>>> model_ids;

    // The text in each model's ids, and for each unit they read its index in `text`.
    Ids ids_of(const std::vector<std::uint32_t>& text, std::vector<std::size_t>* positions = nullptr) const;
  };

  std::vector<Pair> pairs_;
  double weight_, scale_;
};

}  // namespace charloom::infer
