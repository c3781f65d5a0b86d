// The agent's state shared by the request handlers (private to agentd/app*.cpp).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentd/app.hpp"
#include "agentd/audit/monitor.hpp"
#include "agentd/config/config.hpp"
#include "agentd/http/https_client.hpp"
#include "agentd/kinds/registry.hpp"
#include "agentd/lock/lifetime.hpp"
#include "agentd/lock/passphrase_lock.hpp"
#include "agentd/oauth/discovery.hpp"
#include "agentd/store/secret_store.hpp"
#include "agentd/tokens/refresher.hpp"
#include "agentd/tokens/token_cache.hpp"
#include "proto/messages.hpp"
#include "proto/messages_bridge.hpp"
#include "proto/messages_platform.hpp"

namespace agentd {

// A login in progress (browser or device), started by login_start and collected by login_wait.
struct Login;
// The redact handler's cached Redactor and config.json stamp (agentd/app_redact.cpp).
struct RedactCache;
namespace platform {
class Revocations;  // pending revocations of rotated API keys (agentd/platform/revocations.hpp)
}
namespace bridge {
class Bridge;   // the CLI bridge file (agentd/bridge/bridge.hpp)
struct Target;
struct PlatformLogin;
}

// What happened to a profile's credentials (CredentialObserver).
enum class CredentialChange { saved, refreshed, forgotten };
struct CredentialEvent {
  std::string profile;
  proto::ProfileKind kind;  // the profile's kind when the change happened
  CredentialChange change;
};
using CredentialObserver = std::function<void(const CredentialEvent&)>;

namespace util {
class BlockingRunner;  // agentd/util/blocking_call.hpp
}

struct App::State {
  boost::asio::any_io_executor executor;
  AppOptions options;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  config::Config config;
  std::unique_ptr<store::SecretStore> store;
  std::string store_detail;
  std::string store_problem;  // the last load failure (locked keyring, corrupt file); empty when loaded
  tokens::TokenCache cache;
  std::unique_ptr<http::Client> http;
  std::unique_ptr<oauth::DiscoveryCache> discovery;
  std::unique_ptr<audit::Monitor> monitor;  // before the refresher, which reports to it (destroyed after it)
  std::unique_ptr<tokens::Refresher> refresher;
  std::unique_ptr<util::BlockingRunner> file_io;  // reads of files a request names (auth import), off the I/O thread

  std::string config_path() const { return options.home + "/config.json"; }
  // The profile a request means: its own, else the configured default, else "production".
  std::string resolve(const std::string& requested) const;
  // (Re)loads every profile from the store if the last load failed or never happened.
  boost::asio::awaitable<proto::Status> ensure_loaded();
  bool loaded = false;

  // Puts credentials in the cache and arms their proactive refresh.
  tokens::Entry& remember(const std::string& profile, store::Credentials credentials);

  // Profile kinds (agentd/kinds): every login, refresh and logout goes through the profile's kind.
  std::unique_ptr<kinds::Registry> kinds;  // before the refresher, whose hooks use it
  // A profile as its kind sees it: name, kind (configured, else from the credentials held) and configuration.
  kinds::ProfileView view_of(const std::string& profile) const;
  kinds::ProfileKind& kind_of(const kinds::ProfileView& view) const { return (*kinds)[view.kind]; }
  // Binds arriving credentials (import) to where they may be sent: fills issuer, client id and API
  // endpoint they lack from the profile's configuration. A file naming another issuer or API
  // endpoint than the configured profile is refused (invalid_argument).
  proto::Status bind_arrival(const std::string& profile, store::Credentials& credentials) const;
  tokens::RefresherHooks refresher_hooks();

  // Observers of credential changes (the auth.json bridge, …): called on the I/O thread after the
  // change is in the cache and the store (saved: login, import, a stored API key; refreshed;
  // forgotten: logout, profile remove, lifetime end). They must not block.
  std::vector<CredentialObserver> credential_observers;
  void credentials_changed(const std::string& profile, CredentialChange change);

  std::map<std::string, std::shared_ptr<Login>> logins;  // by login id
  // True while a login of `profile` is under way (auth status: login_pending).
  bool login_pending(const std::string& profile) const;

  // agentd/app_lock.cpp: `agent lock` and --lifetime (created in App::App).
  std::unique_ptr<lock::PassphraseLock> passphrase_lock;
  std::unique_ptr<lock::Sweeper> sweeper;
  // Why a secret must not be served now (the agent is locked), else nullopt; first forgets
  // credentials whose lifetime has ended. lock::gated calls it before every secret-serving op.
  std::optional<proto::Error> refuse_secret();
  // Why the configuration must not change now (the agent is locked: permission_denied), else nullopt.
  std::optional<proto::Error> refuse_config_change() const;
  // Stamps credentials arriving now (import, login, a stored API key) with forget_at = now + the
  // profile's lifetime (the shorter of --lifetime and the profile's), when one applies. Call before
  // saving them; remember() then arms the deadline.
  void stamp_arrival(const std::string& profile, store::Credentials& credentials) const;
  // For credentials loaded from the store: false when their deadline has passed (the sweeper then
  // erases them from the store; they must not be served). Without a deadline while a lifetime
  // applies, stamps and saves them (they arrive in this agent now).
  boost::asio::awaitable<bool> stamp_loaded(const std::string& profile, store::Credentials& credentials);
  lock::Sweeper::Hooks sweeper_hooks();

  // One handler per request type: an unhandled type does not compile (see App::handle).
  boost::asio::awaitable<proto::Result<proto::AgentStatusReply>> on(const proto::AgentStatus&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::OkReply>> on(const proto::AgentStop&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::OkReply>> on(const proto::ProfileAdd&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::ProfileListReply>> on(const proto::ProfileList&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::OkReply>> on(const proto::ProfileRemove&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::OkReply>> on(const proto::ConfigSet&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::ImportReply>> on(const proto::AuthImport&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::TokenReply>> on(const proto::GetToken&, const server::Peer&);
  // get_token's reply frame from the cache when no refresh or refusal is involved (not locked, the
  // token valid for min_valid), else nullopt: then the request takes the usual way (lock::gated).
  std::optional<std::string> cached_token_reply(std::uint64_t id, const proto::GetToken& request);
  boost::asio::awaitable<proto::Result<proto::AuthStatusReply>> on(const proto::AuthStatus&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::RefreshReply>> on(const proto::AuthRefresh&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::LogoutReply>> on(const proto::AuthLogout&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::LoginStartReply>> on(const proto::LoginStart&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::LoginWaitReply>> on(const proto::LoginWait&, const server::Peer&);
  // agentd/app_lock.cpp
  boost::asio::awaitable<proto::Result<proto::OkReply>> on(const proto::AgentLock&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::OkReply>> on(const proto::AgentUnlock&, const server::Peer&);
  // agentd/app_apikeys.cpp
  boost::asio::awaitable<proto::Result<proto::ApiKeyCreateReply>> on(const proto::ApiKeyCreate&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::ApiKeyListReply>> on(const proto::ApiKeyList&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::ApiKeyReply>> on(const proto::ApiKeyInfo&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::ApiKeyReply>> on(const proto::ApiKeyRevoke&, const server::Peer&);
  boost::asio::awaitable<proto::Result<proto::ApiKeyRotateReply>> on(const proto::ApiKeyRotate&, const server::Peer&);
  std::shared_ptr<platform::Revocations> revocations;  // started by start_revocations (agentd/app_platform.hpp)
  // agentd/app_api.cpp
  boost::asio::awaitable<proto::Result<proto::ApiReply>> on(const proto::ApiRequest&, const server::Peer&);
  // agentd/app_redact.cpp
  boost::asio::awaitable<proto::Result<proto::RedactReply>> on(const proto::Redact&, const server::Peer&);
  std::shared_ptr<RedactCache> redact_cache;  // rebuilt only when the secrets held or the patterns change

  // agentd/app_bridge.cpp: the CLI bridge, $HOME/.fluxloop/auth.json for the platform CLI.
  std::unique_ptr<bridge::Bridge> bridge;
  void start_bridge();    // after the store is loaded; follows credential_observers from then on
  void bridge_changed();  // lock, unlock, configuration: the bridge file may have to change
  // True when `profile` is of kind fluxloop (the only kind the bridge serves).
  bool bridged_kind(const std::string& profile) const;
  std::string bridge_endpoint(const std::string& profile) const;
  bridge::Target bridge_target();
  boost::asio::awaitable<proto::Status> bridge_adopt(const std::string& profile, bridge::PlatformLogin login);
  boost::asio::awaitable<void> bridge_logout(const std::string& profile);
  boost::asio::awaitable<proto::Result<proto::BridgeSyncReply>> on(const proto::BridgeSync&, const server::Peer&);
};

}  // namespace agentd
