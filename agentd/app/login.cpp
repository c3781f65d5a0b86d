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

#include "agentd/app/login.hpp"
#include "agentd/oauth/pkce.hpp"
#include "agentd/tokens/clock.hpp"

namespace agentd::app {
namespace {
namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// Stores the credentials of a completed login and makes them what every terminal gets from now on.
asio::awaitable<proto::Result<proto::LoginWaitReply>> complete(services::Credentials& s, const std::string& profile,
                                                               kinds::Arrival arrival) {
  co_await s.refresher().wait_idle(profile);
  auto& credentials = arrival.credentials;
  s.stamp_arrival(profile, credentials);
  FLUXLOOP_CO_CHECK(co_await s.store().save(profile, credentials));
  auto& entry = s.remember(profile, credentials);
  if (arrival.expires_in) entry.expires = arrival.received + *arrival.expires_in;
  s.refresher().schedule(profile);
  s.changed(profile, services::CredentialChange::saved);
  spdlog::info("logged in to profile {}", profile);
  proto::LoginWaitReply reply;
  reply.profile = profile;
  reply.user_email = credentials.user_email;
  reply.user_id = credentials.user_id;
  if (entry.expires) reply.expires_at = tokens::format_rfc3339(tokens::to_system_time(*entry.expires));
  co_return reply;
}

asio::awaitable<void> run_login(services::Credentials& s, std::shared_ptr<services::Login> login, std::unique_ptr<kinds::LoginFlow> flow) {
  auto arrival = co_await flow->finish();
  if (login->done) co_return;  // superseded: a newer login of the profile owns it now
  if (!arrival) co_return login->finish(std::move(arrival).error());
  login->finish(co_await complete(s, login->profile, std::move(*arrival)));
}

// Zero set-up (CONTRACT.md): with no profile configured at all, the first login creates a fluxloop
// profile at the endpoint the client passed (FLUXLOOP_API_ENDPOINT and its aliases), else the default.
proto::Status create_first_profile(services::Settings& s, const std::string& profile, const std::string& api_endpoint) {
  if (!api_endpoint.empty()) FLUXLOOP_CHECK(config::validate_https_url(api_endpoint, "FLUXLOOP_API_ENDPOINT"));
  auto updated = s.config();
  config::Profile created;
  created.kind = proto::ProfileKind::fluxloop;
  created.api_endpoint = api_endpoint;
  updated.profiles.emplace(profile, std::move(created));
  FLUXLOOP_CHECK(s.update(std::move(updated)));
  spdlog::info("profile added: {} (fluxloop, first login)", profile);
  return proto::Ok{};
}

}  // namespace

Handled<proto::LoginStart> LoginHandlers::on(const proto::LoginStart& request) {
  const std::string profile = settings_.resolve(request.profile);
  FLUXLOOP_CO_CHECK(config::validate_profile_name(profile));
  co_await credentials_.ensure_loaded();
  store::Credentials known;
  if (const auto* entry = credentials_.cache().find(profile)) known = entry->credentials;
  const bool held = credentials_.cache().find(profile) != nullptr;
  if (settings_.config().profiles.empty() && known.issuer.empty() && known.client_id.empty() && known.token_endpoint.empty()) {
    FLUXLOOP_CO_CHECK(create_first_profile(settings_, profile, request.api_endpoint));
  } else if (!settings_.config().profiles.contains(profile) && !held) {
    // Other profiles exist: an unknown name is more likely a typo than a wish for a new profile.
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "no profile named '" + profile + "': add it with `fluxloop profile add " + profile +
                               " [--api-endpoint URL]` (the FluxLoop platform) or `fluxloop profile add " + profile +
                               " --issuer URL --client-id ID` (OIDC)"};
  }

  // One login per profile at a time: a new one supersedes the old (its flow ends).
  FLUXLOOP_CO_CHECK(logins_.make_room(profile));
  FLUXLOOP_CO_TRY(id, oauth::random_url_token(16));
  auto login = logins_.make(profile);

  const kinds::ProfileView view = credentials_.view_of(profile);
  kinds::LoginRequest login_request{view, known, request.device, login->control};
  FLUXLOOP_CO_TRY(started, co_await credentials_.kind_of(view).start_login(std::move(login_request)));
  proto::LoginStartReply reply = std::move(started.reply);
  reply.login_id = id;
  reply.profile = profile;
  reply.kind = view.kind;
  asio::co_spawn(logins_.executor(), run_login(credentials_, login, std::move(started.flow)), asio::detached);
  logins_.add(id, std::move(login));
  spdlog::info("login started for profile {} ({}, {})", profile, proto::to_string(view.kind), proto::to_string(reply.method));
  co_return reply;
}

Handled<proto::LoginWait> LoginHandlers::on(const proto::LoginWait& request) {
  auto login = logins_.find(request.login_id);
  if (!login) {
    co_return proto::Error{proto::ErrorCode::invalid_argument, "no login in progress with that id; start one with `fluxloop auth login`"};
  }
  if (!login->done) co_await login->signal.async_wait(kAwait);
  if (!login->done) co_return proto::Error{proto::ErrorCode::internal, "login abandoned (agent shutting down)"};
  logins_.erase(request.login_id);
  co_return login->result;
}

}  // namespace agentd::app
