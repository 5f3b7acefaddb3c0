// The checkpoint directory: step-NNNNNNNNN.safetensors files, best.safetensors, pruning,
// and finding the newest complete checkpoint to resume from.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "charloom/model_file.hpp"

namespace charloom::train {

class CheckpointDirectory {
 public:
  CheckpointDirectory(std::string directory, int keep_last, bool keep_best);

  // Writes the checkpoint for `step` atomically, keeps best.safetensors when `is_best`, then
  // removes step checkpoints beyond the newest keep_last. Returns the path written.
  std::string write(const ModelFile& checkpoint, std::int64_t step, bool is_best);

  const std::string& directory() const { return directory_; }

 private:
  std::string directory_;
  int keep_last_;
  bool keep_best_;
};

// A checkpoint file as given, or the newest complete one in a directory (a damaged newest one
// is skipped, and `warn` hears why). Throws InputError when there is none.
ModelFile load_checkpoint(const std::string& file_or_directory, std::string& loaded_path,
                          const std::function<void(const std::string&)>& warn = {});

}  // namespace charloom::train
