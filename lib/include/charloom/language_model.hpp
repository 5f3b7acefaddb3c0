// A trained language model loaded for use: its settings, its vocabulary and a network ready
// to sample and score. This is the runtime side; training lives in charloom_train.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "charloom/model_config.hpp"
#include "charloom/model_file.hpp"
#include "charloom/vocabulary.hpp"

namespace charloom {

// What happens to units of an input text that the model's vocabulary lacks.
enum class UnknownPolicy { error, skip };
std::string_view to_string(UnknownPolicy policy);
UnknownPolicy parse_unknown_policy(std::string_view name);  // error or skip; UsageError otherwise

// Thread safety: one loaded model may be shared by any number of threads. Its const members
// (config, vocabulary, encode) run at once from all of them. The calls that run its network
// (generate, score_span, score_sequences) take the model's lock, so on one model they run one
// at a time, each on every thread set_thread_count allows, and each gives exactly what it gives
// alone. Models loaded separately run in parallel on their own threads. Moving or destroying a
// model while another thread uses it is undefined, as for any object.
class LanguageModel {
 public:
  // Loads and checks a model file. Throws InputError when it is missing, damaged or holds
  // another kind of model (a sentiment classifier, say). `precision` sets the recurrent
  // layers' arithmetic: int8 quantizes the weights here (LSTM only; UsageError otherwise).
  static LanguageModel load(const std::string& path, Precision precision = Precision::f32);
  explicit LanguageModel(const ModelFile& file, Precision precision = Precision::f32);
  ~LanguageModel();
  LanguageModel(LanguageModel&&) noexcept;
  LanguageModel& operator=(LanguageModel&&) noexcept;

  const ModelConfig& config() const;
  const Vocabulary& vocabulary() const;
  const std::string& training_json() const;  // how it was trained, as a JSON object

  // The ids of `text`'s units under the model's text options. Invalid UTF-8 is an InputError
  // naming `source_name` and the byte; units the vocabulary lacks are an InputError listing
  // them (error) or are dropped (skip).
  std::vector<std::uint32_t> encode(std::string_view text, UnknownPolicy policy,
                                    std::string_view source_name = "<text>") const;

  struct Impl;
  Impl& impl() { return *impl_; }  // for the library's own sampling and scoring code

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace charloom
