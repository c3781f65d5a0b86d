#include "agentd/app/services/logins.hpp"

namespace agentd::app::services {
namespace {

constexpr std::size_t kMaxPendingLogins = 8;

}  // namespace

Login::Login(const boost::asio::any_io_executor& executor)
    : signal(executor, boost::asio::steady_timer::time_point::max()), control(std::make_shared<kinds::LoginControl>()) {}

void Login::finish(proto::Result<proto::LoginWaitReply> outcome) {
  if (done) return;
  result = std::move(outcome);
  done = true;
  control->end();
  signal.cancel();
}

bool Logins::pending(const std::string& profile) const {
  for (const auto& [_, login] : logins_) {
    if (login->profile == profile && !login->done) return true;
  }
  return false;
}

proto::Status Logins::make_room(const std::string& profile) {
  // One login per profile at a time: a new one supersedes the old (its flow ends).
  for (auto it = logins_.begin(); it != logins_.end();) {
    if (it->second->profile == profile || it->second->done) {
      if (!it->second->done) it->second->finish(proto::Error{proto::ErrorCode::invalid_argument, "superseded by a newer login"});
      it = logins_.erase(it);
    } else {
      ++it;
    }
  }
  if (logins_.size() >= kMaxPendingLogins) {
    return proto::Error{proto::ErrorCode::busy, "too many logins in progress; finish or cancel one first"};
  }
  return proto::Ok{};
}

std::shared_ptr<Login> Logins::make(const std::string& profile) const {
  auto login = std::make_shared<Login>(executor_);
  login->profile = profile;
  return login;
}

std::shared_ptr<Login> Logins::find(const std::string& id) const {
  auto it = logins_.find(id);
  return it == logins_.end() ? nullptr : it->second;
}

}  // namespace agentd::app::services
