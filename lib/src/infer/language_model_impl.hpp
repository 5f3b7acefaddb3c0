// What a loaded LanguageModel holds, shared by the library's sampling and scoring code.
#pragma once

#include <mutex>
#include <span>

#include "charloom/language_model.hpp"
#include "nn/mixture.hpp"

namespace charloom {

struct LanguageModel::Impl {
  Vocabulary vocabulary;
  std::string training_json;
  nn::Mixture network;  // one network, or a mixture of several
  // Held by every call that runs the network: its buffers serve one computation at a time.
  std::mutex running;

  Impl(const ModelFile& file, Precision precision)
      : vocabulary(file.vocabulary), training_json(file.training_json), network(file, precision) {}
};

// Throws Error when an id is outside the model's vocabulary: ids a caller made up, not encode()'s.
void check_unit_ids(const LanguageModel& model, std::span<const std::uint32_t> ids);

}  // namespace charloom
