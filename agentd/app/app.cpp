#include "agentd/app/app.hpp"

#include <spdlog/spdlog.h>

#include "agentd/app/handlers.hpp"
#include "agentd/app/token_scan.hpp"
#include "agentd/app/services/bridge.hpp"
#include "agentd/app/services/credentials.hpp"
#include "agentd/app/services/lock.hpp"
#include "agentd/app/services/logins.hpp"
#include "agentd/app/services/platform.hpp"
#include "agentd/app/services/settings.hpp"
#include "agentd/audit/monitor.hpp"
#include "agentd/helpers/channel.hpp"
#include "agentd/http/https_client.hpp"
#include "agentd/lock/gate.hpp"
#include "agentd/oauth/discovery.hpp"
#include "agentd/util/atomic_file.hpp"
#include "proto/codec.hpp"

namespace agentd::app {
namespace asio = boost::asio;

// In construction order: each part may use those above it (and is destroyed before them).
struct App::Parts {
  Parts(const asio::any_io_executor& executor, AppOptions options)
      : settings(std::move(options)),
        http(executor, http::options_from_environment()),
        discovery(http),
        monitor(executor, settings.options().home + "/" + std::string(audit::kLogName)),
        credentials(executor, settings, http, discovery, monitor),
        lock(executor, settings, credentials),
        logins(executor),
        // Platform requests with a profile's OAuth token use get_token's logic (refreshed on demand).
        platform(executor, settings, credentials, http,
                 [this](const proto::GetToken& request) { return handlers.on(request); }),
        bridge(executor, settings, credentials, lock),
        handlers(executor, settings, credentials, lock, logins, platform, bridge, monitor) {}

  services::Settings settings;
  http::Client http;
  oauth::DiscoveryCache discovery;
  audit::Monitor monitor;  // before the refresher (in credentials), which reports to it
  services::Credentials credentials;
  services::Lock lock;
  services::Logins logins;
  services::Platform platform;
  services::Bridge bridge;
  Handlers handlers;
};

App::App(asio::any_io_executor executor, AppOptions options)
    : parts_(std::make_unique<Parts>(executor, std::move(options))) {}

App::~App() = default;

asio::awaitable<proto::Status> App::start() {
  auto& p = *parts_;
  FLUXLOOP_CO_CHECK(util::ensure_private_dir(p.settings.options().home));
  // Before anything is served: an agent stopped while locked comes back locked.
  FLUXLOOP_CO_CHECK(p.lock.passphrase().restore());
  if (p.lock.locked()) spdlog::info("locked when it last ran: no secret is served until `fluxloop agent unlock`");
  FLUXLOOP_CO_CHECK(p.settings.load());
  p.monitor.configure(p.settings.config().monitoring);
  FLUXLOOP_CO_CHECK(co_await p.credentials.start());
  p.bridge.start();  // after the store is loaded: it may adopt or remove a login at once
  // After the store is loaded: an overdue revocation may run at once.
  p.platform.start_revocations(
      [&p](const platform::PendingRevocation& pending) { return p.handlers.revoke_pending(pending); });
  co_return proto::Ok{};
}

void App::shutdown() {
  helpers::stop_all();  // no helper outlives the agent; no idle timer holds the loop open
  parts_->bridge.stop();
  parts_->credentials.stop();
  parts_->monitor.shutdown();
  parts_->platform.stop_revocations();
}

void App::peer_rejected(const server::Peer& peer) noexcept { parts_->monitor.rejected_peer(peer); }

bool App::answer_now(const server::Peer& peer, std::string_view body, std::string& reply) {
  auto& p = *parts_;
  const auto request = scan_get_token(body);
  if (!request || p.lock.refuse_secret()) return false;
  const std::string_view profile = p.settings.resolve_view(request->profile);
  if (!p.handlers.cached_reply(request->id, profile, request->min_valid, reply)) return false;
  p.monitor.record_use(peer, proto::GetToken::kOp, profile);  // what handle() records for it
  return true;
}

asio::awaitable<std::string> App::handle(const server::Peer& peer, std::string_view body) {
  auto& p = *parts_;
  auto decoded = proto::decode_request(body);
  if (auto* rejected = std::get_if<proto::RejectedRequest>(&decoded)) {
    p.monitor.invalid_request(peer, rejected->error);  // audited and logged, flood-proof
    co_return proto::encode_error(rejected->id, rejected->error);
  }
  auto& frame = std::get<proto::RequestFrame>(decoded);
  // g++ 12: a named local, not a temporary in the co_await (docs/development.md "g++ 12 and coroutines").
  const auto run = [&](auto& request) { return app::handle(p.handlers, request, peer); };
  // The request is the decoder's, and mutable: handlers that must (lock, unlock) wipe its secrets.
  auto answer = [&](auto& request) -> asio::awaitable<std::string> {
    using Request = std::decay_t<decltype(request)>;
    const auto resolve = [&p](const std::string& profile) { return p.settings.resolve(profile); };
    if constexpr (std::is_same_v<Request, proto::GetToken>) {
      // The hot path: not locked and a valid token: its cached reply (agentd/tokens/token_reply.hpp).
      if (!p.lock.refuse_secret()) {
        std::string cached;
        if (p.handlers.cached_reply(frame.id, p.settings.resolve_view(request.profile), request.min_valid, cached)) {
          p.monitor.record(peer, Request::kOp, audit::subject_of(request, resolve), nullptr);
          co_return std::move(cached);
        }
      }
    }
    auto result = co_await lock::gated(p.lock, request, run);  // refuses secrets while locked
    p.monitor.record(peer, Request::kOp, audit::subject_of(request, resolve), result ? nullptr : &result.error());
    if (!result) {
      p.monitor.log_failure(peer, Request::kOp, result.error());
      co_return proto::encode_error(frame.id, result.error());
    }
    spdlog::debug("op={} pid={} ok", Request::kOp, peer.pid);
    // What the CLI bridge file shows depends on the lock and the configuration as well as the tokens.
    if constexpr (lock::kIsOneOf<Request, proto::AgentLock, proto::AgentUnlock, proto::ConfigSet, proto::ProfileAdd,
                                 proto::ProfileRemove>) {
      p.bridge.changed();
    }
    co_return proto::encode_reply(frame.id, *result);
  };
  auto reply = std::visit(answer, frame.request);
  co_return co_await std::move(reply);
}

}  // namespace agentd::app
