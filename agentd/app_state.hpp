// The agent's state shared by the request handlers (private to agentd/app*.cpp).
#pragma once

#include <chrono>
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
#include "agentd/lock/lifetime.hpp"
#include "agentd/lock/passphrase_lock.hpp"
#include "agentd/oauth/discovery.hpp"
#include "agentd/store/secret_store.hpp"
#include "agentd/tokens/refresher.hpp"
#include "agentd/tokens/token_cache.hpp"
#include "proto/messages.hpp"
#include "proto/messages_platform.hpp"

namespace agentd {

// A login in progress (browser or device), started by login_start and collected by login_wait.
struct Login;
// The redact handler's cached Redactor and config.json stamp (agentd/app_redact.cpp).
struct RedactCache;
namespace platform {
class Revocations;  // pending revocations of rotated API keys (agentd/platform/revocations.hpp)
}
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
  // The issuer, client id and token endpoint a profile's credentials are refreshed with: the ones
  // bound to the credentials (bind_arrival); only credentials bound to neither issuer nor token
  // endpoint (stored by older versions) fall back to the profile's configuration.
  struct OAuthClient {
    std::string issuer;
    std::string client_id;
    std::string token_endpoint;
    std::vector<std::string> scopes;
  };
  OAuthClient oauth_client_of(const std::string& profile, const store::Credentials& credentials) const;
  // Binds arriving credentials (import) to where they may be sent: fills issuer, client id and API
  // endpoint they lack from the profile's configuration. A file naming another issuer or API
  // endpoint than the configured profile is refused (invalid_argument).
  proto::Status bind_arrival(const std::string& profile, store::Credentials& credentials) const;
  // Discovery (cached) for a profile's issuer: the endpoints of its authorization server.
  boost::asio::awaitable<oauth::Result<oauth::ProviderMetadata>> metadata_of(const OAuthClient& client);
  tokens::RefresherHooks refresher_hooks();

  std::map<std::string, std::shared_ptr<Login>> logins;  // by login id

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
};

}  // namespace agentd
