// Checkpoint files on disk: names, atomic writes (through save_model_file), pruning, resume.
#include "train/checkpoints.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <vector>

#include "charloom/errors.hpp"

namespace charloom::train {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view step_prefix = "step-";
constexpr std::string_view extension = ".safetensors";

std::string step_file_name(std::int64_t step) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "step-%09lld.safetensors", static_cast<long long>(step));
  return buffer;
}

// Step checkpoints in a directory, newest first. Temporary files never match the pattern.
std::vector<fs::path> step_checkpoints(const std::string& directory) {
  std::vector<fs::path> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.rfind(step_prefix, 0) == 0 && name.size() > extension.size() &&
        name.compare(name.size() - extension.size(), extension.size(), extension) == 0)
      found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() > b.filename(); });
  return found;
}

}  // namespace

CheckpointDirectory::CheckpointDirectory(std::string directory, int keep_last, bool keep_best)
    : directory_(std::move(directory)), keep_last_(keep_last), keep_best_(keep_best) {
  std::error_code error;
  fs::create_directories(directory_, error);
  if (error || !fs::is_directory(directory_))
    throw IoError("cannot create checkpoint directory " + directory_ + ": " +
                  (error ? error.message() : std::string("a file has that name")) +
                  "; choose another --checkpoint-dir");
}

std::string CheckpointDirectory::write(const ModelFile& checkpoint, std::int64_t step, bool is_best) {
  std::string path = (fs::path(directory_) / step_file_name(step)).string();
  save_model_file(path, checkpoint);
  if (is_best && keep_best_) save_model_file((fs::path(directory_) / "best.safetensors").string(), checkpoint);
  if (keep_last_ > 0) {
    const auto existing = step_checkpoints(directory_);
    for (std::size_t i = static_cast<std::size_t>(keep_last_); i < existing.size(); ++i) {
      std::error_code ignored;
      fs::remove(existing[i], ignored);
    }
  }
  return path;
}

ModelFile load_checkpoint(const std::string& file_or_directory, std::string& loaded_path,
                          const std::function<void(const std::string&)>& warn) {
  std::error_code error;
  if (!fs::is_directory(file_or_directory, error)) {
    loaded_path = file_or_directory;
    return load_model_file(file_or_directory);
  }
  const auto candidates = step_checkpoints(file_or_directory);
  if (candidates.empty())
    throw InputError("no checkpoint (step-*.safetensors) in " + file_or_directory +
                     "; give a checkpoint file to --resume");
  for (const fs::path& candidate : candidates) {
    try {
      loaded_path = candidate.string();
      return load_model_file(loaded_path);
    } catch (const InputError& damaged) {
      if (warn) warn(std::string("skipping damaged checkpoint: ") + damaged.what());
    }
  }
  throw InputError("every checkpoint in " + file_or_directory + " is damaged; start again without --resume");
}

}  // namespace charloom::train
