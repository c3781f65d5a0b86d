// The CLI bridge: keeps $HOME/.fluxloop/auth.json holding the bridged profile's current access token
// (never its refresh token) for the platform's own CLI, adopts logins that CLI writes there, and logs
// the profile out when someone else deletes the file (docs/platform.md "The platform CLI").
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentd/bridge/auth_file.hpp"
#include "proto/result.hpp"

namespace agentd::bridge {

// What the file should be now, as the agent sees it.
struct Target {
  enum class Mode {
    off,      // not bridged (setting cli_bridge off, or the default profile is not of kind fluxloop): hands off
    absent,   // bridged, but nothing to show (no login, locked, lifetime over): the file must not exist
    present,  // bridged: the file holds `login`
  };
  Mode mode = Mode::off;
  std::string profile;  // the bridged profile (absent, present)
  PlatformLogin login;  // present: what the file shows (its refresh token is never written)
};

struct Hooks {
  // The target now (called on the executor before every look at the file).
  std::function<Target()> target;
  // Takes a login the platform CLI wrote into `profile`: stored before it is served. An error leaves
  // the file as it is (its refresh token is not lost) and the same content is not tried again.
  std::function<boost::asio::awaitable<proto::Status>(const std::string& profile, PlatformLogin login)> adopt;
  // Forgets `profile` locally: someone else deleted the file while it showed that profile's login.
  std::function<boost::asio::awaitable<void>(const std::string& profile)> logout;
  // The bridged profile changed from `previous` to `current` ("" for none): the agent moves the
  // refresh lead from one to the other.
  std::function<void(const std::string& previous, const std::string& current)> follow;
};

class Bridge {
 public:
  // `path` is the bridge file (default_bridge_path() in the agent; tests set HOME).
  Bridge(boost::asio::any_io_executor executor, std::string path, Hooks hooks);
  ~Bridge();
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // Looks at the file once and starts watching its directory; stop() ends both.
  void start();
  void stop();
  // Something the file depends on changed (tokens, lock, configuration): brings the file in line
  // soon, off the I/O thread. Cheap; many calls coalesce.
  void changed();
  // Waits until no change is pending; the outcome of the last look (a write or removal that failed).
  boost::asio::awaitable<proto::Status> settle();
  const std::string& path() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace agentd::bridge
