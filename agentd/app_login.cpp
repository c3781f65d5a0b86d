// Login handlers: login_start asks the profile's kind (agentd/kinds) to start its flow and runs the
// rest in the background; login_wait collects the outcome. A login finishes and its credentials are
// stored whether or not anyone waits (`auth login --no-wait`). The agent owns every secret of the
// flow; the client only shows and opens.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "agentd/app_state.hpp"
#include "agentd/oauth/pkce.hpp"

namespace agentd {
namespace {
namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kMaxPendingLogins = 8;

}  // namespace

struct Login {
  explicit Login(const asio::any_io_executor& executor)
      : signal(executor, asio::steady_timer::time_point::max()), control(std::make_shared<kinds::LoginControl>()) {}
  std::string profile;
  asio::steady_timer signal;  // cancelled when the login ends
  bool done = false;
  proto::Result<proto::LoginWaitReply> result;
  std::shared_ptr<kinds::LoginControl> control;

  // The first outcome wins: ending a superseded login's control makes its flow return.
  void finish(proto::Result<proto::LoginWaitReply> outcome) {
    if (done) return;
    result = std::move(outcome);
    done = true;
    control->end();
    signal.cancel();
  }
};

namespace {

// Stores the credentials of a completed login and makes them what every terminal gets from now on.
asio::awaitable<proto::Result<proto::LoginWaitReply>> complete(App::State& s, const std::string& profile,
                                                               kinds::Arrival arrival) {
  co_await s.refresher->wait_idle(profile);
  auto& credentials = arrival.credentials;
  s.stamp_arrival(profile, credentials);
  if (auto saved = co_await s.store->save(profile, credentials); !saved) co_return std::move(saved).error();
  auto& entry = s.remember(profile, credentials);
  if (arrival.expires_in) entry.expires = arrival.received + *arrival.expires_in;
  s.refresher->schedule(profile);
  s.credentials_changed(profile, CredentialChange::saved);
  spdlog::info("logged in to profile {}", profile);
  proto::LoginWaitReply reply;
  reply.profile = profile;
  reply.user_email = credentials.user_email;
  reply.user_id = credentials.user_id;
  if (entry.expires) reply.expires_at = tokens::format_rfc3339(tokens::to_system_time(*entry.expires));
  co_return reply;
}

asio::awaitable<void> run_login(App::State& s, std::shared_ptr<Login> login, std::unique_ptr<kinds::LoginFlow> flow) {
  auto arrival = co_await flow->finish();
  if (login->done) co_return;  // superseded: a newer login of the profile owns it now
  if (!arrival) co_return login->finish(std::move(arrival).error());
  login->finish(co_await complete(s, login->profile, std::move(*arrival)));
}

// Zero set-up (CONTRACT.md): with no profile configured at all, the first login creates a fluxloop
// profile at the endpoint the client passed (FLUXLOOP_API_ENDPOINT and its aliases), else the default.
proto::Status create_first_profile(App::State& s, const std::string& profile, const std::string& api_endpoint) {
  if (!api_endpoint.empty()) {
    if (auto ok = config::validate_https_url(api_endpoint, "FLUXLOOP_API_ENDPOINT"); !ok) return ok;
  }
  auto updated = s.config;
  config::Profile created;
  created.kind = proto::ProfileKind::fluxloop;
  created.api_endpoint = api_endpoint;
  updated.profiles.emplace(profile, std::move(created));
  if (auto saved = config::save(s.config_path(), updated); !saved) return saved;
  s.config = std::move(updated);
  spdlog::info("profile added: {} (fluxloop, first login)", profile);
  return proto::Ok{};
}

}  // namespace

bool App::State::login_pending(const std::string& profile) const {
  for (const auto& [_, login] : logins) {
    if (login->profile == profile && !login->done) return true;
  }
  return false;
}

asio::awaitable<proto::Result<proto::LoginStartReply>> App::State::on(const proto::LoginStart& request, const server::Peer&) {
  const std::string profile = resolve(request.profile);
  if (auto ok = config::validate_profile_name(profile); !ok) co_return std::move(ok).error();
  co_await ensure_loaded();
  store::Credentials known;
  if (const auto* entry = cache.find(profile)) known = entry->credentials;
  const bool held = cache.find(profile) != nullptr;
  if (config.profiles.empty() && known.issuer.empty() && known.client_id.empty() && known.token_endpoint.empty()) {
    if (auto created = create_first_profile(*this, profile, request.api_endpoint); !created) co_return std::move(created).error();
  } else if (!config.profiles.contains(profile) && !held) {
    // Other profiles exist: an unknown name is more likely a typo than a wish for a new profile.
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "no profile named '" + profile + "': add it with `fluxloop profile add " + profile +
                               " [--api-endpoint URL]` (the FluxLoop platform) or `fluxloop profile add " + profile +
                               " --issuer URL --client-id ID` (OIDC)"};
  }

  // One login per profile at a time: a new one supersedes the old (its flow ends).
  for (auto it = logins.begin(); it != logins.end();) {
    if (it->second->profile == profile || it->second->done) {
      if (!it->second->done) it->second->finish(proto::Error{proto::ErrorCode::invalid_argument, "superseded by a newer login"});
      it = logins.erase(it);
    } else {
      ++it;
    }
  }
  if (logins.size() >= kMaxPendingLogins) {
    co_return proto::Error{proto::ErrorCode::busy, "too many logins in progress; finish or cancel one first"};
  }
  auto id = oauth::random_url_token(16);
  if (!id) co_return std::move(id).error();
  auto login = std::make_shared<Login>(executor);
  login->profile = profile;

  const kinds::ProfileView view = view_of(profile);
  kinds::LoginRequest login_request{view, known, request.device, login->control};
  auto started = co_await kind_of(view).start_login(std::move(login_request));
  if (!started) co_return std::move(started).error();
  proto::LoginStartReply reply = std::move(started->reply);
  reply.login_id = *id;
  reply.profile = profile;
  reply.kind = view.kind;
  asio::co_spawn(executor, run_login(*this, login, std::move(started->flow)), asio::detached);
  logins.emplace(*id, std::move(login));
  spdlog::info("login started for profile {} ({}, {})", profile, proto::to_string(view.kind), proto::to_string(reply.method));
  co_return reply;
}

asio::awaitable<proto::Result<proto::LoginWaitReply>> App::State::on(const proto::LoginWait& request, const server::Peer&) {
  auto it = logins.find(request.login_id);
  if (it == logins.end()) {
    co_return proto::Error{proto::ErrorCode::invalid_argument, "no login in progress with that id; start one with `fluxloop auth login`"};
  }
  auto login = it->second;
  if (!login->done) co_await login->signal.async_wait(kAwait);
  if (!login->done) co_return proto::Error{proto::ErrorCode::internal, "login abandoned (agent shutting down)"};
  logins.erase(request.login_id);
  co_return login->result;
}

}  // namespace agentd
