// Finding models by name in CHARLOOM_MODEL_PATH, the installed models and the source tree's.
#include "charloom/model_catalog.hpp"

#include <dlfcn.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "charloom/errors.hpp"

namespace charloom {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view extension = ".safetensors";

// share/charloom/models beside the lib/ folder this library was loaded from, wherever the
// install prefix was.
std::string installed_folder() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&model_folders), &info) == 0 || info.dli_fname == nullptr) return {};
  // Canonical first: a loader that found the library by an RPATH with ".." (as the Python
  // module's does) names it through them, and parent_path() would only strip a "..".
  std::error_code error;
  fs::path library = fs::weakly_canonical(info.dli_fname, error);
  if (error) library = info.dli_fname;
  return (library.parent_path().parent_path() / "share" / "charloom" / "models").string();
}

// The folder's models.json, or an empty object.
nlohmann::json records_of(const std::string& folder) {
  std::ifstream file(fs::path(folder) / "models.json");
  if (!file) return nlohmann::json::object();
  nlohmann::json records = nlohmann::json::parse(file, nullptr, false);
  return records.is_object() && records.contains("models") && records["models"].is_object() ? records["models"]
                                                                                            : nlohmann::json::object();
}

}  // namespace

std::vector<std::string> model_folders() {
  std::vector<std::string> folders;
  if (const char* path = std::getenv("CHARLOOM_MODEL_PATH"); path != nullptr) {
    const std::string text = path;
    for (std::size_t begin = 0; begin <= text.size();) {
      const std::size_t end = std::min(text.find(':', begin), text.size());
      if (end > begin) folders.push_back(text.substr(begin, end - begin));
      begin = end + 1;
    }
  }
  if (std::string installed = installed_folder(); !installed.empty()) folders.push_back(installed);
#ifdef CHARLOOM_SOURCE_MODELS_DIR
  folders.emplace_back(CHARLOOM_SOURCE_MODELS_DIR);
#endif
  return folders;
}

std::vector<FoundModel> available_models() {
  std::vector<FoundModel> found;
  for (const std::string& folder : model_folders()) {
    std::error_code error;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder, error))
      if (entry.is_regular_file(error) && entry.path().extension() == extension) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    const nlohmann::json records = records_of(folder);
    for (const fs::path& file : files) {
      const std::string name = file.stem().string();
      if (std::any_of(found.begin(), found.end(), [&](const FoundModel& m) { return m.name == name; })) continue;
      const std::string record = records.contains(name) ? records[name].dump() : std::string();
      found.push_back({name, file.string(), folder, static_cast<std::uint64_t>(fs::file_size(file, error)), record});
    }
  }
  return found;
}

std::string resolve_model(const std::string& name_or_path) {
  std::error_code error;
  const bool looks_like_path = name_or_path.find('/') != std::string::npos ||
                               std::string_view(name_or_path).ends_with(extension) || fs::exists(name_or_path, error);
  if (looks_like_path) return name_or_path;
  const std::vector<FoundModel> models = available_models();
  for (const FoundModel& model : models)
    if (model.name == name_or_path) return model.path;
  std::string searched, names;
  for (const std::string& folder : model_folders()) searched += (searched.empty() ? "" : ", ") + folder;
  for (const FoundModel& model : models) names += (names.empty() ? "" : ", ") + model.name;
  throw NotFoundError("no model named '" + name_or_path + "' (searched " + (searched.empty() ? "nothing" : searched) +
                      "; found " + (names.empty() ? "no models" : names) +
                      "); give a model file's path, or set CHARLOOM_MODEL_PATH to the folder that holds it");
}

}  // namespace charloom
