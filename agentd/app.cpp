#include "agentd/app.hpp"

#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "agentd/app_platform.hpp"
#include "agentd/app_state.hpp"
#include "agentd/audit/refresh_observer.hpp"
#include "agentd/bridge/bridge.hpp"
#include "agentd/lock/gate.hpp"
#include "agentd/util/atomic_file.hpp"
#include "agentd/util/blocking_call.hpp"
#include "proto/codec.hpp"

namespace agentd {
namespace {

namespace asio = boost::asio;

// While `agent lock` holds, FLUXLOOP_HOME/lock-marker.json keeps the passphrase verifier, so the next
// agent run starts locked (docs/lock.md).
constexpr std::string_view kLockMarker = "lock-marker.json";
// The reply to agent_stop must reach the client before the server cancels its sessions.
constexpr auto kStopDelay = std::chrono::milliseconds(100);

}  // namespace

App::App(asio::any_io_executor executor, AppOptions options) : state_(std::make_unique<State>()) {
  state_->executor = std::move(executor);
  state_->options = std::move(options);
  state_->http = std::make_unique<http::Client>(state_->executor, http::options_from_environment());
  state_->discovery = std::make_unique<oauth::DiscoveryCache>(*state_->http);
  state_->monitor = std::make_unique<audit::Monitor>(state_->executor,
                                                     state_->options.home + "/" + std::string(audit::kLogName));
  state_->kinds = std::make_unique<kinds::Registry>(
      kinds::Services{state_->executor, state_->http.get(), state_->discovery.get()});
  state_->refresher = std::make_unique<tokens::Refresher>(
      state_->executor, state_->cache, audit::observe_refreshes(state_->refresher_hooks(), *state_->monitor));
  state_->passphrase_lock =
      std::make_unique<lock::PassphraseLock>(state_->executor, state_->options.home + "/" + std::string(kLockMarker));
  state_->sweeper = std::make_unique<lock::Sweeper>(state_->executor, state_->sweeper_hooks());
}

App::~App() = default;

asio::awaitable<proto::Status> App::start() {
  auto& s = *state_;
  if (auto made = util::ensure_private_dir(s.options.home); !made) co_return made;
  // Before anything is served: an agent stopped while locked comes back locked.
  if (auto restored = s.passphrase_lock->restore(); !restored) co_return restored;
  if (s.passphrase_lock->locked()) spdlog::info("locked when it last ran: no secret is served until `fluxloop agent unlock`");
  auto loaded = config::load(s.config_path());
  if (!loaded) co_return std::move(loaded).error();
  s.config = std::move(*loaded);
  s.monitor->configure(s.config.monitoring);

  auto selection = co_await store::select_store(s.executor, s.options.home, s.options.forced_store, s.config.store);
  if (!selection) co_return std::move(selection).error();
  s.store = std::move(selection->store);
  s.store_detail = std::move(selection->detail);
  spdlog::info("secret store: {} ({}) at {}", s.store->kind(), s.store_detail, s.store->location());
  // Record the first choice so it never changes silently between runs (an explicit
  // FLUXLOOP_STORE still wins for the run that sets it).
  if (s.config.store.empty()) {
    s.config.store = std::string(s.store->kind());
    if (auto saved = config::save(s.config_path(), s.config); !saved) co_return saved;
  }
  // A locked keyring or corrupt file is not fatal: the agent serves what it can and reports the
  // problem; ensure_loaded() tries again on the next request that needs the store.
  if (auto status = co_await s.ensure_loaded(); !status) {
    spdlog::warn("credentials not loaded: {}", status.error().message);
  }
  // Credentials whose lifetime ended while the agent was down are forgotten before anyone is served.
  co_await s.sweeper->sweep_now();
  s.sweeper->start();
  s.refresher->start();
  s.start_bridge();  // after the store is loaded: it may adopt or remove a login at once
  start_revocations(s);  // after the store is loaded: an overdue revocation may run at once
  co_return proto::Ok{};
}

void App::shutdown() {
  if (state_->bridge) state_->bridge->stop();
  state_->refresher->stop();
  state_->monitor->shutdown();
  state_->sweeper->stop();
  stop_revocations(*state_);
}

void App::peer_rejected(const server::Peer& peer) noexcept { state_->monitor->rejected_peer(peer); }

asio::awaitable<std::string> App::handle(const server::Peer& peer, std::string_view body) {
  auto decoded = proto::decode_request(body);
  if (auto* rejected = std::get_if<proto::RejectedRequest>(&decoded)) {
    state_->monitor->invalid_request(peer, rejected->error);  // audited and logged, flood-proof
    co_return proto::encode_error(rejected->id, rejected->error);
  }
  auto& frame = std::get<proto::RequestFrame>(decoded);
  // A named local, not a temporary inside the co_await: g++ 12 mishandles (double-destroys)
  // temporaries of a co_await expression that hold captures.
  auto answer = [&](const auto& request) -> asio::awaitable<std::string> {
    using Request = std::decay_t<decltype(request)>;
    const auto resolve = [this](const std::string& profile) { return state_->resolve(profile); };
    if constexpr (std::is_same_v<Request, proto::GetToken>) {
      // The hot path: a valid token, not locked: its cached reply (agentd/app_tokens.cpp).
      if (auto cached = state_->cached_token_reply(frame.id, request)) {
        state_->monitor->record(peer, Request::kOp, audit::subject_of(request, resolve), nullptr);
        co_return std::move(*cached);
      }
    }
    auto result = co_await lock::gated(*state_, request, peer);  // refuses secrets while locked
    state_->monitor->record(peer, Request::kOp, audit::subject_of(request, resolve), result ? nullptr : &result.error());
    if (!result) {
      state_->monitor->log_failure(peer, Request::kOp, result.error());
      co_return proto::encode_error(frame.id, result.error());
    }
    spdlog::debug("op={} pid={} ok", Request::kOp, peer.pid);
    // What the CLI bridge file shows depends on the lock and the configuration as well as the tokens.
    if constexpr (lock::kIsOneOf<Request, proto::AgentLock, proto::AgentUnlock, proto::ConfigSet, proto::ProfileAdd,
                                 proto::ProfileRemove>) {
      state_->bridge_changed();
    }
    co_return proto::encode_reply(frame.id, *result);
  };
  auto reply = std::visit(answer, frame.request);
  co_return co_await std::move(reply);
}

std::string App::State::resolve(const std::string& requested) const {
  if (!requested.empty()) return requested;
  if (!config.default_profile.empty()) return config.default_profile;
  return std::string(config::kDefaultProfile);
}

asio::awaitable<proto::Status> App::State::ensure_loaded() {
  if (loaded) co_return proto::Ok{};
  auto all = co_await store->load_all();
  if (!all) {
    store_problem = all.error().message;
    co_return std::move(all).error();
  }
  for (auto& [profile, credentials] : *all) {
    // Entries already in memory are newer than the store's (they were saved there too).
    if (cache.find(profile)) continue;
    if (!co_await stamp_loaded(profile, credentials)) continue;  // past its lifetime: not served
    remember(profile, std::move(credentials));
  }
  store_problem.clear();
  loaded = true;
  co_return proto::Ok{};
}

kinds::ProfileView App::State::view_of(const std::string& profile) const {
  kinds::ProfileView view;
  view.name = profile;
  const auto configured = config.profiles.find(profile);
  const auto held = cache.entries().find(profile);
  if (configured != config.profiles.end()) view.config = configured->second;
  view.kind = kinds::kind_of(configured != config.profiles.end() ? &configured->second : nullptr,
                             held != cache.entries().end() ? &held->second.credentials : nullptr);
  return view;
}

void App::State::credentials_changed(const std::string& profile, CredentialChange change) {
  if (credential_observers.empty()) return;
  const CredentialEvent event{profile, view_of(profile).kind, change};
  for (const auto& observer : credential_observers) observer(event);
}

tokens::Entry& App::State::remember(const std::string& profile, store::Credentials credentials) {
  auto& entry = cache.put(profile, std::move(credentials));
  sweeper->arm(profile, entry.credentials.forget_at);
  refresher->schedule(profile);
  return entry;
}

asio::awaitable<proto::Result<proto::AgentStatusReply>> App::State::on(const proto::AgentStatus&,
                                                                       const server::Peer&) {
  proto::AgentStatusReply reply;
  reply.version = FLUXLOOP_VERSION;
  reply.pid = ::getpid();
  reply.uptime_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
  reply.socket = options.socket_path;
  reply.store = std::string(store->kind());
  reply.store_detail = store_problem.empty() ? store_detail : store_problem;
  reply.home = options.home;
  reply.launch = options.launch;
  reply.unit = options.unit;
  reply.profiles = static_cast<std::int64_t>(cache.entries().size());
  reply.connections = options.connection_count ? options.connection_count() : 0;
  reply.locked = passphrase_lock->locked();
  reply.lifetime_seconds = options.lifetime_seconds;
  reply.requests = monitor->requests();
  reply.usage = monitor->usage();
  reply.anomalies = monitor->anomalies();
  co_return reply;
}

asio::awaitable<proto::Result<proto::OkReply>> App::State::on(const proto::AgentStop&, const server::Peer& peer) {
  spdlog::info("stop requested by pid {}", peer.pid);
  auto timer = std::make_shared<asio::steady_timer>(executor, kStopDelay);
  timer->async_wait([timer, stop = options.request_stop](boost::system::error_code) {
    if (stop) stop();
  });
  co_return proto::OkReply{};
}

}  // namespace agentd
