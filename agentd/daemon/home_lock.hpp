// One agent per FLUXLOOP_HOME: an flock on FLUXLOOP_HOME/agent.lock held for the agent's whole life,
// the file recording the agent's pid and socket so a second agent can name it and clients can find it.
// Plain POSIX, taken before a --daemon fork (the child inherits the lock; the parent _exits).
#pragma once

#include <string>

#include "agentd/util/unique_fd.hpp"
#include "proto/result.hpp"

namespace agentd::daemon {

// The state directory is ours alone: created 0700 (with missing parents) when absent, else it must be
// a directory owned by our effective uid that group and others cannot write (they could plant a
// config.json naming their server, or replace the credentials). Fails with a message naming the fix.
proto::Status check_home(const std::string& home);

class HomeLock {
 public:
  // Takes `home`/agent.lock (created 0600, never through a link; flock LOCK_EX|LOCK_NB, close-on-exec)
  // and records our pid and `socket`. Another agent holding it: busy, naming its pid and socket.
  static proto::Result<HomeLock> take(const std::string& home, const std::string& socket);

  HomeLock(HomeLock&&) noexcept = default;
  HomeLock& operator=(HomeLock&&) noexcept = default;
  // Empties the record, then releases the lock.
  ~HomeLock();

  // Rewrites the record: our current pid (call again in a daemon's child) and `socket`.
  void record(const std::string& socket) const;
  const std::string& path() const noexcept { return path_; }

 private:
  HomeLock(util::UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

  util::UniqueFd fd_;
  std::string path_;
};

}  // namespace agentd::daemon
