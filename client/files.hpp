// Small POSIX file helpers of the client: a descriptor closed however a check ends, and a bounded read.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <optional>
#include <string>

namespace client {

// Owns a descriptor (-1: none) and closes it on destruction.
struct ScopedFd {
  int fd = -1;
  ScopedFd() = default;
  explicit ScopedFd(int descriptor) : fd(descriptor) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd >= 0) ::close(fd);
  }
};

// The rest of open file `fd`, at most `limit` bytes: nullopt with `error` set to errno, or to EFBIG
// when the file is longer.
std::optional<std::string> read_bounded(int fd, std::size_t limit, int& error);

}  // namespace client
