#include "client/files.hpp"

#include <cerrno>

namespace client {

std::optional<std::string> read_bounded(int fd, std::size_t limit, int& error) {
  std::string data;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      return std::nullopt;
    }
    if (n == 0) return data;
    data.append(buffer, static_cast<std::size_t>(n));
    if (data.size() > limit) {
      error = EFBIG;
      return std::nullopt;
    }
  }
}

}  // namespace client
