#include "agentd/server/socket_activation.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

namespace agentd::server {
namespace {

constexpr const char* kListenPid = "LISTEN_PID";
constexpr const char* kListenFds = "LISTEN_FDS";
constexpr const char* kListenFdNames = "LISTEN_FDNAMES";
constexpr long kMaxListenFds = INT_MAX - kListenFdsStart;  // sd_listen_fds' bound: fd numbers must fit an int

proto::Error activation_error(std::string message) {
  return proto::Error{proto::ErrorCode::invalid_argument,
                      "systemd socket activation: " + std::move(message) + "; check the .socket unit"};
}

// A whole decimal number (strtol: a sign is accepted, so "-1" is reported as "not positive" rather
// than "not a number"); systemd's parsers likewise reject trailing characters and out-of-range values.
bool parse_long(const char* text, long& value) {
  if (text == nullptr || *text == '\0') return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtol(text, &end, 10);
  return errno == 0 && end != nullptr && *end == '\0' && end != text;
}

}  // namespace

proto::Result<int> parse_listen_fds(const char* listen_pid, const char* listen_fds, pid_t self) {
  if (listen_pid == nullptr) return 0;
  long pid = 0;
  if (!parse_long(listen_pid, pid) || pid <= 0 || pid > INT_MAX) {
    return activation_error(std::string(kListenPid) + "=" + listen_pid + " is not a process id");
  }
  // Inherited from a parent that was activated (or set by hand for another process): not for us.
  if (static_cast<pid_t>(pid) != self) return 0;
  if (listen_fds == nullptr) return 0;
  long count = 0;
  if (!parse_long(listen_fds, count)) {
    return activation_error(std::string(kListenFds) + "=" + listen_fds + " is not a number");
  }
  if (count <= 0 || count > kMaxListenFds) {
    return activation_error(std::string(kListenFds) + "=" + listen_fds + " is not a positive descriptor count");
  }
  return static_cast<int>(count);
}

proto::Result<int> take_listen_fds() {
  auto count = parse_listen_fds(std::getenv(kListenPid), std::getenv(kListenFds), ::getpid());
  // Unset first, whatever the outcome: a helper or a re-exec must never adopt our descriptors.
  ::unsetenv(kListenPid);
  ::unsetenv(kListenFds);
  ::unsetenv(kListenFdNames);
  if (!count) return count;
  for (int fd = kListenFdsStart; fd < kListenFdsStart + *count; ++fd) {
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
      return activation_error("descriptor " + std::to_string(fd) + " of " + std::to_string(*count) +
                              " passed is not open (" + std::strerror(errno) + ")");
    }
  }
  return count;
}

proto::Result<bool> is_listening_unix_stream(int fd) {
  const auto fail = [fd](const char* call) {
    return proto::Error{proto::ErrorCode::internal,
                        std::string(call) + " on descriptor " + std::to_string(fd) + ": " + std::strerror(errno)};
  };
  struct stat st{};
  if (::fstat(fd, &st) != 0) return fail("fstat");
  if (!S_ISSOCK(st.st_mode)) return false;
  int type = 0;
  socklen_t length = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0) return fail("getsockopt(SO_TYPE)");
  if (length != sizeof type || type != SOCK_STREAM) return false;
  int accepting = 0;
  length = sizeof accepting;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) != 0) return fail("getsockopt(SO_ACCEPTCONN)");
  if (length != sizeof accepting || accepting == 0) return false;
  sockaddr_storage address{};
  length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return fail("getsockname");
  if (length < sizeof(sa_family_t)) {
    return proto::Error{proto::ErrorCode::internal, "getsockname on descriptor " + std::to_string(fd) + ": no address"};
  }
  return address.ss_family == AF_UNIX;
}

}  // namespace agentd::server
