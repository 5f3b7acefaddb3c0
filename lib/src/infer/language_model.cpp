// Loading a language model and turning text into its ids.
#include "charloom/language_model.hpp"

#include <algorithm>

#include "charloom/errors.hpp"
#include "infer/language_model_impl.hpp"
#include "text/unit_names.hpp"

namespace charloom {

std::string_view to_string(UnknownPolicy policy) { return policy == UnknownPolicy::error ? "error" : "skip"; }

UnknownPolicy parse_unknown_policy(std::string_view name) {
  if (name == "error") return UnknownPolicy::error;
  if (name == "skip") return UnknownPolicy::skip;
  throw UsageError("--unknown must be error or skip, got '" + std::string(name) + "'");
}

LanguageModel LanguageModel::load(const std::string& path, Precision precision) {
  const ModelFile file = load_model_file(path);
  if (file.kind != language_model_kind)
    throw InputError(path + " holds a model of kind '" + file.kind + "', not a language model; pass a language model");
  return LanguageModel(file, precision);
}

LanguageModel::LanguageModel(const ModelFile& file, Precision precision)
    : impl_(std::make_unique<Impl>(file, precision)) {}
LanguageModel::~LanguageModel() = default;
LanguageModel::LanguageModel(LanguageModel&&) noexcept = default;
LanguageModel& LanguageModel::operator=(LanguageModel&&) noexcept = default;

const ModelConfig& LanguageModel::config() const { return impl_->network.config(); }
const Vocabulary& LanguageModel::vocabulary() const { return impl_->vocabulary; }
const std::string& LanguageModel::training_json() const { return impl_->training_json; }

std::vector<std::uint32_t> LanguageModel::encode(std::string_view text, UnknownPolicy policy,
                                                 std::string_view source_name) const {
  std::vector<std::uint32_t> ids;
  std::vector<std::string> unknown;
  for (const std::string& unit : split_units(text, config().text, source_name)) {
    if (auto id = impl_->vocabulary.find(unit)) {
      ids.push_back(*id);
    } else if (std::find(unknown.begin(), unknown.end(), unit) == unknown.end()) {
      unknown.push_back(unit);
    }
  }
  if (!unknown.empty() && policy == UnknownPolicy::error) {
    std::string list;
    for (std::size_t i = 0; i < unknown.size() && i < 20; ++i)
      list += (i ? ", '" : "'") + text::unit_name(unknown[i], config().text.unit) + "'";
    if (unknown.size() > 20) list += ", ...";
    throw UnknownUnitsError(std::string(source_name) + " has " + std::to_string(unknown.size()) +
                            " unit(s) the model never saw: " + list);
  }
  return ids;
}

void check_unit_ids(const LanguageModel& model, std::span<const std::uint32_t> ids) {
  for (const std::uint32_t id : ids)
    if (id >= model.vocabulary().size()) throw Error("unit id " + std::to_string(id) + " is outside the vocabulary");
}

}  // namespace charloom
