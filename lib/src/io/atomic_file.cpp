// Atomic file replacement over POSIX calls, with errors that say what to do.
#include "io/atomic_file.hpp"

#include "charloom/output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "charloom/errors.hpp"

namespace charloom::io {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& action, int err) {
  std::string hint;
  if (err == ENOSPC || err == EFBIG || err == EDQUOT) hint = "; free disk space or write elsewhere";
  if (err == EACCES || err == EROFS) hint = "; choose a writable location";
  if (err == ENOENT) hint = "; create the directory first";
  throw IoError("cannot " + action + " " + path + ": " + std::strerror(err) + hint);
}

}  // namespace

void write_atomically(const std::string& path,
                      const std::function<void(const std::function<void(std::string_view)>&)>& write) {
  const std::string temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "write", errno);
  auto abandon = [&](const std::string& action, int err) {
    ::close(fd);
    ::unlink(temporary.c_str());
    fail(path, action, err);
  };
  try {
    write([&](std::string_view bytes) {
      while (!bytes.empty()) {
        const ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0) {
          if (errno == EINTR) continue;
          abandon("write", errno);
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
      }
    });
  } catch (const IoError&) {
    throw;
  } catch (...) {
    ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
  if (::fsync(fd) != 0) abandon("write", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temporary.c_str());
    fail(path, "write", err);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temporary.c_str());
    fail(path, "rename into", err);
  }
  // Make the rename itself durable.
  std::filesystem::path directory = std::filesystem::path(path).parent_path();
  if (directory.empty()) directory = ".";
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

void write_file_atomically(const std::string& path, std::string_view content) {
  write_atomically(path, [&](const auto& append) { append(content); });
}

}  // namespace charloom::io

namespace charloom {

void write_output_file(const std::string& path, std::string_view content) { io::write_file_atomically(path, content); }

}  // namespace charloom
