// Models by name: a name such as "shakespeare" is found as NAME.safetensors in the model
// folders, so that a model is used without knowing where it was installed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace charloom {

// The folders searched for models, in order: each folder of CHARLOOM_MODEL_PATH (separated by
// ':'), then share/charloom/models beside the installed library, then the models/ folder of
// the source tree charloom was built from (so that a build tree works).
std::vector<std::string> model_folders();

struct FoundModel {
  std::string name;    // the file name without .safetensors
  std::string path;    // the file
  std::string folder;  // the folder it was found in
  std::uint64_t bytes = 0;
  // The folder's models.json entry for the name, as JSON text ("" without one): its kind,
  // data, command and figures, as recorded when the model was trained.
  std::string record;
};

// Every model in the folders; where two folders hold a name, the earlier folder's wins.
std::vector<FoundModel> available_models();

// A path as it is when it names something on disk, holds a '/' or ends in .safetensors;
// otherwise the model of that name. Throws NotFoundError listing the folders searched and the names found.
std::string resolve_model(const std::string& name_or_path);

}  // namespace charloom
