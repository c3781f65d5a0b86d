#include "client/agent_connection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <utility>

#include "client/files.hpp"
#include "proto/paths.hpp"

namespace client {
namespace {

// A full listen backlog (EAGAIN) is a busy agent, not a missing one: retry this long before giving up.
constexpr auto kBusyRetryFor = std::chrono::milliseconds(2000);
constexpr auto kBusyRetryPause = std::chrono::milliseconds(5);

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` on fd until the deadline: false on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

void pause(std::chrono::milliseconds how_long) {
  timespec ts{0, static_cast<long>(std::chrono::nanoseconds(how_long).count())};
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

constexpr mode_t kSocketDirMode = 0700;

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

Failure untrusted(const std::string& what) {
  return Failure{proto::kExitPermissionDenied, what, FailureKind::local};
}

// Whoever listens at our path gets our API keys, passphrases and redact input, and can hand back
// tokens or a login URL of their choosing: only a process of our own uid is our agent.
Outcome<proto::Ok> check_peer(int fd, const std::string& path) {
  ucred peer{};
  socklen_t length = sizeof peer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 || length != sizeof peer) {
    return untrusted("refusing the agent socket " + path + ": cannot tell who serves it (SO_PEERCRED: " +
                     std::strerror(errno) + "); nothing was sent");
  }
  if (peer.uid != ::getuid()) {
    return untrusted("refusing the agent socket " + path + ": the process serving it (pid " + std::to_string(peer.pid) +
                     ") runs as uid " + std::to_string(peer.uid) + ", not as you (uid " + std::to_string(::getuid()) +
                     "); nothing was sent. Someone else may be impersonating your agent: point FLUXLOOP_AGENT_SOCK "
                     "at your own agent's socket, and check who created " + path);
  }
  return proto::Ok{};
}

Failure unreachable(const std::string& path, const std::string& what) {
  return Failure{proto::kExitUnreachable,
                 "lost the agent at " + path + ": " + what + "; check it with `fluxloop agent status`, or restart it with `fluxloop agent stop`",
                 FailureKind::unreachable};
}

}  // namespace

AgentConnection::AgentConnection(AgentConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)), next_id_(other.next_id_) {}

AgentConnection& AgentConnection::operator=(AgentConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    next_id_ = other.next_id_;
  }
  return *this;
}

AgentConnection::~AgentConnection() {
  if (fd_ >= 0) ::close(fd_);
}

Outcome<AgentConnection> AgentConnection::open(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return Failure{proto::kExitUnreachable,
                   "cannot use the agent socket path '" + path + "': it must be 1 to " +
                       std::to_string(sizeof(address.sun_path) - 1) + " bytes; set FLUXLOOP_AGENT_SOCK to a shorter path",
                   FailureKind::unreachable};
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const auto busy_deadline = Clock::now() + kBusyRetryFor;
  for (;;) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      return Failure{proto::kExitUnreachable, std::string("cannot create a socket: ") + std::strerror(errno),
                     FailureKind::unreachable};
    }
    AgentConnection connection(fd, path);
    // A Unix-socket connect never waits for the peer: it succeeds, or fails at once (EAGAIN when
    // the agent's backlog is full), so no timeout is needed here.
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
      FLUXLOOP_CHECK(check_peer(fd, path));
      return connection;
    }
    const int err = errno;
    if ((err == EAGAIN || err == EINTR) && Clock::now() < busy_deadline) {
      pause(kBusyRetryPause);
      continue;
    }
    const bool nobody = err == ENOENT || err == ECONNREFUSED;
    return Failure{proto::kExitUnreachable, "cannot reach the agent at " + path + " (" + std::strerror(err) + ")",
                   nobody ? FailureKind::no_listener : FailureKind::unreachable};
  }
}

Outcome<std::string> AgentConnection::exchange(const std::string& frame, int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  const std::string waited = std::to_string((timeout_ms + 999) / 1000) + " s";
  std::size_t sent = 0;
  while (sent < frame.size()) {
    if (!wait_for(fd_, POLLOUT, deadline)) return unreachable(path_, "it did not accept the request within " + waited);
    ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      // An agent that refuses the connection (another uid, busy) sends one error frame and closes,
      // possibly before our request went out: that frame, still readable below, says why.
      if (errno == EPIPE || errno == ECONNRESET) break;
      return unreachable(path_, std::string("sending failed (") + std::strerror(errno) + ")");
    }
    sent += static_cast<std::size_t>(n);
  }

  auto read_exact = [&](char* out, std::size_t size) -> Outcome<proto::Ok> {
    std::size_t got = 0;
    while (got < size) {
      if (!wait_for(fd_, POLLIN, deadline)) return unreachable(path_, "it did not answer within " + waited);
      ssize_t n = ::recv(fd_, out + got, size - got, 0);
      if (n == 0) return unreachable(path_, "it closed the connection (see its log: `journalctl --user -u fluxloop-agentd` or its stderr)");
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return unreachable(path_, std::string("receiving failed (") + std::strerror(errno) + ")");
      }
      got += static_cast<std::size_t>(n);
    }
    return proto::Ok{};
  };

  unsigned char header[proto::kHeaderSize];
  FLUXLOOP_CHECK(read_exact(reinterpret_cast<char*>(header), sizeof(header)));
  auto length = proto::decode_header(std::span<const unsigned char, proto::kHeaderSize>(header));
  if (!length) {
    return Failure{proto::kExitError, "bad reply from the agent at " + path_ + ": " + length.error().message, FailureKind::agent};
  }
  std::string body(*length, '\0');
  FLUXLOOP_CHECK(read_exact(body.data(), body.size()));
  return body;
}

Outcome<proto::Ok> ensure_private_socket_dir(const std::string& dir) {
  struct stat st{};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return untrusted("cannot check the agent socket directory " + dir + ": " + std::strerror(errno));
    // Created by us, 0700 whatever the umask says; losing the race to someone else is caught below.
    const mode_t old = ::umask(077);
    const int made = ::mkdir(dir.c_str(), kSocketDirMode);
    const int error = errno;
    ::umask(old);
    if (made != 0 && error != EEXIST && error != ENOENT) {
      return untrusted("cannot create the agent socket directory " + dir + ": " + std::strerror(error));
    }
    // ENOENT: a missing parent ($XDG_RUNTIME_DIR itself); the agent creates the chain when it starts.
    if (made != 0 && error == ENOENT) return proto::Ok{};
    if (::lstat(dir.c_str(), &st) != 0) return untrusted("cannot check the agent socket directory " + dir + ": " + std::strerror(errno));
  }
  const std::string next = "; remove it (it is not yours to trust) or set FLUXLOOP_AGENT_SOCK to a socket in a private directory";
  if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
    return untrusted("refusing the agent socket directory " + dir + ": it is not a real directory" + next);
  }
  if (st.st_uid != ::getuid()) {
    return untrusted("refusing the agent socket directory " + dir + ": it is owned by uid " + std::to_string(st.st_uid) +
                     ", not by you (uid " + std::to_string(::getuid()) + "); another user may be waiting there for your requests" + next);
  }
  if ((st.st_mode & 077) != 0) {
    return untrusted("refusing the agent socket directory " + dir + ": it is group/world accessible (mode " +
                     octal_mode(st.st_mode) + "); fix it with `chmod 700 " + dir + "`");
  }
  return proto::Ok{};
}

std::string recorded_agent_socket(const std::string& home) {
  if (home.empty()) return {};
  const std::string path = home + "/" + std::string(proto::kHomeLockName);
  // O_NONBLOCK|O_NOFOLLOW: a FIFO or a link planted there must neither hang nor redirect us.
  ScopedFd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)};
  if (file.fd < 0) return {};
  struct stat st{};
  if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::getuid()) return {};
  char text[proto::kMaxHomeLockBytes];
  const ssize_t n = ::pread(file.fd, text, sizeof text, 0);
  if (n <= 0) return {};
  auto record = proto::parse_agent_record(std::string_view(text, static_cast<std::size_t>(n)));
  return record ? record->socket : std::string();
}

}  // namespace client
