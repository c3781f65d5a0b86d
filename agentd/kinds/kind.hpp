// A kind of profile (docs/development.md "Adding a profile kind"): how a profile of that kind logs
// in, refreshes, logs out and reaches its API keys. Each kind is one folder under agentd/kinds/ and
// one line in agentd/kinds/registry.cpp. The request handlers know only this interface.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentd/config/config.hpp"
#include "agentd/store/credentials.hpp"
#include "agentd/tokens/clock.hpp"
#include "agentd/tokens/refresher.hpp"
#include "proto/enums.hpp"
#include "proto/messages.hpp"
#include "proto/result.hpp"

namespace agentd::http {
class Client;
}
namespace agentd::oauth {
class DiscoveryCache;
}

namespace agentd::kinds {

// What a kind may use of the agent: nothing else (no handler state, no store, no cache).
struct Services {
  boost::asio::any_io_executor executor;
  http::Client* http = nullptr;
  oauth::DiscoveryCache* discovery = nullptr;
};

// One profile as a kind sees it: its name, its kind and its configuration (default-constructed
// when the profile is not configured, e.g. only imported).
struct ProfileView {
  std::string name;
  proto::ProfileKind kind = proto::ProfileKind::oidc;
  config::Profile config;
  // The API endpoint: the configuration's, else the platform default.
  std::string api_endpoint() const;
};

// Credentials a finished login hands to the agent, which stamps, stores and serves them.
struct Arrival {
  store::Credentials credentials;
  std::optional<std::chrono::seconds> expires_in;  // counted from `received` on the boot clock
  tokens::BootClock::time_point received = tokens::BootClock::now();
};

// A login under way, shared by the agent and the flow: the agent ends it (finished, superseded,
// shutting down); the flow registers what to close then and checks ended() between steps.
class LoginControl {
 public:
  bool ended() const noexcept { return ended_; }
  // Runs `closer` when the login ends (at once if it has ended already).
  void on_end(std::function<void()> closer);
  // Marks the login ended and runs the closers (idempotent).
  void end();

 private:
  bool ended_ = false;
  std::vector<std::function<void()>> closers_;
};

// The rest of a started login: waits for the user and fetches the credentials.
class LoginFlow {
 public:
  virtual ~LoginFlow() = default;
  // Finishes the login; an error ends it (denied, expired, network). Returns early, with any
  // error, once the control has ended.
  virtual boost::asio::awaitable<proto::Result<Arrival>> finish() = 0;
};

struct LoginRequest {
  ProfileView profile;
  store::Credentials known;  // what the agent holds for the profile now (may carry an issuer)
  bool device = false;       // the client asked for a device-style login (--device)
  std::shared_ptr<LoginControl> control;
};

// What the client shows (the reply's method, url / verification fields, expires_in; the agent
// fills in login_id, profile and kind) and the flow that finishes the login.
struct StartedLogin {
  proto::LoginStartReply reply;
  std::unique_ptr<LoginFlow> flow;
};

// What logout could do at the server.
struct Revocation {
  bool revoked = false;  // the server confirmed it
  std::string warning;   // why it could not (no revocation at this platform, offline), if so
};

// Where a kind's API keys live on its platform API.
struct KeyApi {
  std::string_view collection;  // "/v1/api-keys"
  bool per_project = false;     // requests need a project id (POST body, list query)
  bool item_get = false;        // GET collection/{id} exists
  bool lookup_by_value = false; // POST collection/lookup {"key"} exists
};

class ProfileKind {
 public:
  virtual ~ProfileKind() = default;
  virtual proto::ProfileKind id() const noexcept = 0;
  // Starts a login at the server (discovery, device authorization, CLI connect start, a loopback
  // listener): errors here are the client's answer to login_start.
  virtual boost::asio::awaitable<proto::Result<StartedLogin>> start_login(LoginRequest request) = 0;
  // One refresh grant for the refresher (tokens::RefresherHooks::refresh); login_required when the
  // server refused the refresh token, other codes are retried with backoff.
  virtual boost::asio::awaitable<tokens::Attempt> refresh(ProfileView profile, store::Credentials current) = 0;
  // Revokes `credentials` at the server when the platform can; the agent then forgets them anyway.
  virtual boost::asio::awaitable<Revocation> revoke(ProfileView profile, store::Credentials credentials) = 0;
  virtual const KeyApi& keys() const noexcept = 0;
};

}  // namespace agentd::kinds
