#include "agentd/util/unique_fd.hpp"

#include <unistd.h>

namespace agentd::util {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace agentd::util
