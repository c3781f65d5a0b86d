// The CLI bridge in the agent: keeps $HOME/.fluxloop/auth.json holding the default fluxloop
// profile's access token for the platform CLI (agentd/bridge), adopts the logins that CLI writes
// and logs out when it deletes the file.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentd/app/services/credentials.hpp"
#include "agentd/app/services/lock.hpp"
#include "agentd/app/services/settings.hpp"
#include "proto/enums.hpp"
#include "proto/result.hpp"

namespace agentd::bridge {
class Bridge;
struct Target;
struct PlatformLogin;
}  // namespace agentd::bridge

namespace agentd::app::services {

// The bridge file and what it should hold.
class Bridge {
 public:
  Bridge(boost::asio::any_io_executor executor, const Settings& settings, Credentials& credentials, const Lock& lock);
  ~Bridge();

  // After the store is loaded (it may adopt or remove a login at once): watches the file and
  // follows every change of the default profile's credentials from then on. stop() ends it.
  void start();
  void stop();
  // Lock, unlock, configuration or tokens changed: the bridge file may have to change.
  void changed();
  // Waits until the file is in line; the outcome of the last write or removal.
  boost::asio::awaitable<proto::Status> settle();
  // The bridge file's path ("" before start()).
  std::string path() const;
  // What the file shows for `profile` (bridge_sync's `state`).
  proto::BridgeState state_of(const std::string& profile) const;

 private:
  bool bridged_kind(const std::string& profile) const;
  std::string endpoint_of(const std::string& profile) const;
  bridge::Target target();
  boost::asio::awaitable<proto::Status> adopt(const std::string& profile, bridge::PlatformLogin login);
  boost::asio::awaitable<void> logout(const std::string& profile);

  boost::asio::any_io_executor executor_;
  const Settings& settings_;
  Credentials& credentials_;
  const Lock& lock_;
  std::unique_ptr<bridge::Bridge> bridge_;
};

}  // namespace agentd::app::services
