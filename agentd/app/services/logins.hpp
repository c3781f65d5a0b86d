// The logins under way (browser, device, CLI connect): started by login_start, collected by
// login_wait; at most one per profile.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agentd/kinds/kind.hpp"
#include "proto/messages.hpp"
#include "proto/result.hpp"

namespace agentd::app::services {

// One login in progress. The first outcome wins: finish() ends a superseded login's flow.
struct Login {
  explicit Login(const boost::asio::any_io_executor& executor);
  std::string profile;
  boost::asio::steady_timer signal;  // cancelled when the login ends
  bool done = false;
  proto::Result<proto::LoginWaitReply> result;
  std::shared_ptr<kinds::LoginControl> control;

  // Records the outcome (unless one is recorded already), ends the flow and wakes the waiters.
  void finish(proto::Result<proto::LoginWaitReply> outcome);
};

// The logins by id.
class Logins {
 public:
  explicit Logins(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // Where login flows run.
  const boost::asio::any_io_executor& executor() const noexcept { return executor_; }
  // True while a login of `profile` is under way (auth status: login_pending).
  bool pending(const std::string& profile) const;
  // Makes room for a new login of `profile`: supersedes its login under way and drops finished ones.
  // busy when too many logins of other profiles are under way.
  proto::Status make_room(const std::string& profile);
  // A new login of `profile`, not yet registered.
  std::shared_ptr<Login> make(const std::string& profile) const;
  // Registers a started login under `id`.
  void add(const std::string& id, std::shared_ptr<Login> login) { logins_.emplace(id, std::move(login)); }
  // The login of `id`, else nullptr; erase() forgets it once its outcome is collected.
  std::shared_ptr<Login> find(const std::string& id) const;
  void erase(const std::string& id) { logins_.erase(id); }

 private:
  boost::asio::any_io_executor executor_;
  std::map<std::string, std::shared_ptr<Login>> logins_;
};

}  // namespace agentd::app::services
