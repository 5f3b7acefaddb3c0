// Chunked file reading over POSIX calls, so directories and errors are reported precisely.
#include "io/file_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "charloom/errors.hpp"

namespace charloom::io {
namespace {

// Closes the descriptor unless it is stdin.
struct Descriptor {
  int fd = -1;
  ~Descriptor() {
    if (fd > 0) ::close(fd);
  }
};

int open_for_reading(const std::string& path) {
  if (path == "-") return STDIN_FILENO;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string hint = err == ENOENT   ? "check the path"
                       : err == EACCES ? "check the file's permissions"
                                       : "check the file";
    const std::string message = "cannot open " + path + ": " + std::strerror(err) + "; " + hint;
    if (err == ENOENT) throw NotFoundError(message);
    throw IoError(message);
  }
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
    ::close(fd);
    throw IoError(path + " is a directory; give the path of a file");
  }
  return fd;
}

}  // namespace

void read_chunks(const std::string& path, const std::function<void(std::string_view)>& consume,
                 std::size_t chunk_bytes) {
  Descriptor file{open_for_reading(path)};
  std::vector<char> buffer(chunk_bytes);
  for (;;) {
    ssize_t got = ::read(file.fd, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      throw IoError("cannot read " + (path == "-" ? std::string("stdin") : path) + ": " + std::strerror(errno));
    }
    if (got == 0) break;
    consume(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
  }
}

std::string read_file(const std::string& path) {
  std::string content;
  read_chunks(path, [&](std::string_view piece) { content.append(piece); });
  return content;
}

std::uint64_t file_size(const std::string& path) {
  struct stat info {};
  if (path == "-" || ::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return 0;
  return static_cast<std::uint64_t>(info.st_size);
}

}  // namespace charloom::io
