// The stop request as one number, and the output check.
#include "train/run_control.hpp"

#include <filesystem>

#include "charloom/errors.hpp"
#include "io/atomic_file.hpp"

namespace charloom::train {

int stop_code(const StopRequest* stop) {
  if (stop == nullptr || !stop->stop_requested()) return 0;
  return stop->signal() > 0 ? stop->signal() : stop_without_signal;
}

const char* stop_reason(int code) { return code == stop_without_signal ? "stop-request" : "signal"; }

void check_shared_settings(double learning_rate, double grad_clip, int threads, const std::string& on_divergence) {
  if (!(learning_rate > 0.0 && learning_rate < 100.0))
    throw UsageError("--learning-rate must be positive and below 100");
  if (grad_clip < 0.0) throw UsageError("--grad-clip must be 0 (off) or positive");
  if (threads < 0) throw UsageError("--threads must not be negative");
  if (on_divergence != "stop" && on_divergence != "rollback")
    throw UsageError("--on-divergence must be stop or rollback");
}

void check_writable(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw UsageError("--output " + path + " is a directory; name a model file");
  try {
    io::write_file_atomically(path + ".probe", "");
  } catch (const IoError& failure) {
    const std::string reason = failure.what();
    throw IoError("cannot write the output " + path + reason.substr(reason.find(':')));
  }
  std::filesystem::remove(path + ".probe", error);
}

}  // namespace charloom::train
