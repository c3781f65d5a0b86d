#include "agentd/app/services/lock.hpp"

namespace agentd::app::services {
namespace {

// While `agent lock` holds, FLUXLOOP_HOME/lock-marker.json keeps the passphrase verifier, so the next
// agent run starts locked (docs/lock.md).
constexpr std::string_view kLockMarker = "lock-marker.json";

}  // namespace

Lock::Lock(boost::asio::any_io_executor executor, const Settings& settings, Credentials& credentials)
    : credentials_(credentials),
      passphrase_(std::make_unique<lock::PassphraseLock>(std::move(executor),
                                                         settings.options().home + "/" + std::string(kLockMarker))) {}

std::optional<proto::Error> Lock::refuse_secret() {
  credentials_.expire_due();
  if (passphrase_->locked()) {
    return proto::Error{proto::ErrorCode::locked, "the agent is locked: run `fluxloop agent unlock`"};
  }
  return std::nullopt;
}

void Lock::drop_cached_replies() { credentials_.cache().drop_replies(); }

std::optional<proto::Error> Lock::refuse_config_change() const {
  // A locked agent is being left alone: re-pointing a profile at another server, or removing one,
  // waits for the owner's unlock.
  if (passphrase_->locked()) {
    return proto::Error{proto::ErrorCode::permission_denied,
                        "the agent is locked: configuration changes wait for `fluxloop agent unlock`"};
  }
  return std::nullopt;
}

}  // namespace agentd::app::services
