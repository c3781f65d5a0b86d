// The agent's listening Unix socket: our own (checked directory, 0600 socket, lock file) or the one
// systemd passed us (socket activation). Plain POSIX: no Asio here, so it can be set up before fork().
#pragma once

#include <sys/types.h>

#include <string>

#include "agentd/util/unique_fd.hpp"
#include "proto/result.hpp"

namespace agentd::server {

// Who created the socket file, and so who removes it.
enum class SocketOwner { agent, systemd };

// Whether open() may adopt a socket passed by systemd (LISTEN_FDS) instead of creating one.
enum class SocketActivation { allow, ignore };

class Listener {
 public:
  // systemd's socket when one was passed (and `activation` allows), else our own at `path`:
  // parent dir created 0700 or checked (ours, no group/other bits), the agent lock taken (a live
  // agent -> "agent already running"), a stale socket replaced, the new socket bound 0600 and listening.
  static proto::Result<Listener> open(const std::string& path,
                                      SocketActivation activation = SocketActivation::allow);

  Listener(Listener&& other) noexcept;
  Listener& operator=(Listener&& other) noexcept;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  // Calls remove().
  ~Listener();

  // The listening socket (non-blocking, close-on-exec). Still owned by the Listener.
  int fd() const noexcept { return fd_.get(); }
  // Hands the listening socket over (e.g. to an Asio acceptor); files are still removed by remove().
  util::UniqueFd release_fd() noexcept { return std::move(fd_); }
  const std::string& path() const noexcept { return path_; }
  SocketOwner owner() const noexcept { return owner_; }

  // Writes the current pid into the lock file (call again in a daemon's child after fork()).
  void record_pid() const;
  // Removes the socket file (only one we created, only if it is still the one we bound) and the lock
  // file, then releases the lock. Idempotent; a no-op for a systemd socket.
  void remove() noexcept;

 private:
  Listener() = default;

  util::UniqueFd fd_;
  util::UniqueFd lock_fd_;
  std::string path_;
  std::string lock_path_;
  SocketOwner owner_ = SocketOwner::agent;
  dev_t socket_dev_ = 0;
  ino_t socket_ino_ = 0;
};

// The lock file that serialises agents on one socket path: PATH + ".lock".
std::string lock_path_for(const std::string& socket_path);

// Checks the socket path length against sockaddr_un, with a message that says how to fix it.
proto::Status check_socket_path(const std::string& path);

// Creates `dir` (and missing parents) 0700, or checks an existing one: a real directory (not a
// symlink), owned by our effective uid, with no group/other permission bits.
proto::Status ensure_private_dir(const std::string& dir);

}  // namespace agentd::server
