// The stop flag (set from signal handlers) and the output check.
#include "train/run_control.hpp"

#include <atomic>
#include <filesystem>

#include "charloom/errors.hpp"
#include "charloom/training.hpp"
#include "io/atomic_file.hpp"

namespace charloom {
namespace {

std::atomic<int> stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal flag must be safe to set in a handler");

}  // namespace

void request_training_stop(int signal_number) { stop_signal.store(signal_number); }

namespace train {

int pending_stop_signal() { return stop_signal.load(); }

void check_writable(const std::string& path) {
  if (std::filesystem::is_directory(path)) throw UsageError("--output " + path + " is a directory; name a model file");
  try {
    io::write_file_atomically(path + ".probe", "");
  } catch (const IoError& error) {
    const std::string reason = error.what();
    throw IoError("cannot write the output " + path + reason.substr(reason.find(':')));
  }
  std::filesystem::remove(path + ".probe");
}

}  // namespace train
}  // namespace charloom
