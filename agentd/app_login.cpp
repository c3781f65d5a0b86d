// Login handlers: browser (authorization code + PKCE, RFC 8252 loopback redirect) and device
// (RFC 8628). The agent owns every secret of the flow; the client only shows and opens.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "agentd/app_state.hpp"
#include "agentd/oauth/loopback_listener.hpp"
#include "agentd/oauth/pkce.hpp"
#include "agentd/oauth/qr.hpp"
#include "agentd/oauth/token_client.hpp"
#include "agentd/oauth/tokens.hpp"
#include "proto/mask.hpp"

namespace agentd {
namespace {
namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

constexpr auto kBrowserLoginTimeout = std::chrono::seconds(300);
constexpr auto kSlowDownStep = std::chrono::seconds(5);      // RFC 8628 §3.5
constexpr std::size_t kMaxPendingLogins = 8;
constexpr std::string_view kDefaultScopes = "openid email offline_access";

}  // namespace

struct Login {
  explicit Login(const asio::any_io_executor& executor) : signal(executor, asio::steady_timer::time_point::max()) {}
  std::string profile;
  asio::steady_timer signal;  // cancelled when the login ends
  bool done = false;
  proto::Result<proto::LoginWaitReply> result;
  std::unique_ptr<oauth::LoopbackListener> listener;

  // The first outcome wins: closing a superseded login's listener makes its flow report again.
  void finish(proto::Result<proto::LoginWaitReply> outcome) {
    if (done) return;
    result = std::move(outcome);
    done = true;
    if (listener) listener->close();
    signal.cancel();
  }
};

namespace {

struct LoginContext {
  std::string profile;
  App::State::OAuthClient client;
  oauth::ProviderMetadata metadata;
};

// Stores the tokens of a completed login and makes them what every terminal gets from now on.
asio::awaitable<proto::Result<proto::LoginWaitReply>> complete(App::State& s, const LoginContext& ctx,
                                                               oauth::TokenResponse tokens) {
  const auto received = tokens::BootClock::now();
  store::Credentials credentials;
  credentials.access_token = tokens.access_token;
  credentials.refresh_token = tokens.refresh_token.value_or("");
  if (tokens.expires_in) {
    credentials.expires_at = tokens::format_rfc3339(std::chrono::system_clock::now() + *tokens.expires_in);
  }
  credentials.issuer = ctx.client.issuer;
  credentials.client_id = ctx.client.client_id;
  if (auto it = s.config.profiles.find(ctx.profile); it != s.config.profiles.end()) {
    credentials.api_endpoint = it->second.api_endpoint;
  }
  if (auto email = oauth::email_from_id_token(tokens.id_token)) {
    credentials.user_email = *email;
  } else if (!ctx.metadata.userinfo_endpoint.empty()) {
    auto email = co_await oauth::fetch_userinfo_email(*s.http, ctx.metadata.userinfo_endpoint, tokens.access_token);
    if (email) credentials.user_email = *email;
  }
  co_await s.refresher->wait_idle(ctx.profile);
  s.stamp_arrival(ctx.profile, credentials);
  if (auto saved = co_await s.store->save(ctx.profile, credentials); !saved) co_return std::move(saved).error();
  auto& entry = s.remember(ctx.profile, credentials);
  if (tokens.expires_in) entry.expires = received + *tokens.expires_in;
  s.refresher->schedule(ctx.profile);
  spdlog::info("logged in to profile {}", ctx.profile);
  proto::LoginWaitReply reply;
  reply.profile = ctx.profile;
  reply.user_email = credentials.user_email;
  if (entry.expires) reply.expires_at = tokens::format_rfc3339(tokens::to_system_time(*entry.expires));
  co_return reply;
}

asio::awaitable<void> run_browser_login(App::State& s, std::shared_ptr<Login> login, LoginContext ctx,
                                        oauth::Pkce pkce, std::string state, std::string redirect_uri) {
  auto code = co_await login->listener->wait_for_code(state, kBrowserLoginTimeout);
  if (!code) co_return login->finish(std::move(code).error());
  // Requests are named locals, never braced temporaries inside co_await: g++ 12 destroys such
  // temporaries twice (seen as a crash in refresh_tokens).
  oauth::CodeExchange exchange{ctx.metadata.token_endpoint, ctx.client.client_id, *code, pkce.verifier, redirect_uri};
  auto tokens = co_await oauth::exchange_code(*s.http, std::move(exchange));
  proto::wipe(pkce.verifier);
  if (!tokens) co_return login->finish(tokens.error().to_proto());
  login->finish(co_await complete(s, ctx, std::move(*tokens)));
}

asio::awaitable<void> run_device_login(App::State& s, std::shared_ptr<Login> login, LoginContext ctx,
                                       oauth::DeviceAuthorization device) {
  asio::steady_timer timer(s.executor);
  const auto deadline = std::chrono::steady_clock::now() + device.expires_in;
  auto interval = device.interval;
  while (!login->done) {
    timer.expires_after(interval);
    co_await timer.async_wait(kAwait);
    if (login->done) co_return;  // superseded by a newer login of the same profile
    if (std::chrono::steady_clock::now() >= deadline) break;
    oauth::DevicePollRequest poll_request{ctx.metadata.token_endpoint, ctx.client.client_id, device.device_code};
    auto poll = co_await oauth::poll_device_token(*s.http, std::move(poll_request));
    if (!poll) {
      const auto code = poll.error().code;
      // A blip of the network or server should not cost the user their approval: keep polling.
      if (code == proto::ErrorCode::network || code == proto::ErrorCode::server_error) {
        interval += kSlowDownStep;
        continue;
      }
      co_return login->finish(poll.error().to_proto());
    }
    switch (poll->state) {
      case oauth::DevicePollState::pending: break;
      case oauth::DevicePollState::slow_down: interval += kSlowDownStep; break;
      case oauth::DevicePollState::expired_token: co_return login->finish(proto::Error{
          proto::ErrorCode::timeout, "the device code expired before the login was approved; run `fluxloop auth login --device --profile " +
                                         ctx.profile + "` again"});
      case oauth::DevicePollState::access_denied: co_return login->finish(proto::Error{
          proto::ErrorCode::permission_denied, "the login was denied at the verification page"});
      case oauth::DevicePollState::success:
        co_return login->finish(co_await complete(s, ctx, std::move(*poll->tokens)));
    }
  }
  login->finish(proto::Error{proto::ErrorCode::timeout,
                             "the device code expired before the login was approved; run `fluxloop auth login --device --profile " +
                                 ctx.profile + "` again"});
}

}  // namespace

asio::awaitable<proto::Result<proto::LoginStartReply>> App::State::on(const proto::LoginStart& request, const server::Peer&) {
  const std::string profile = resolve(request.profile);
  if (auto ok = config::validate_profile_name(profile); !ok) co_return std::move(ok).error();
  co_await ensure_loaded();
  store::Credentials known;
  if (const auto* entry = cache.find(profile)) known = entry->credentials;
  LoginContext ctx{profile, oauth_client_of(profile, known), {}};
  if (ctx.client.issuer.empty() || ctx.client.client_id.empty()) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "profile '" + profile + "' has no issuer or client id: add it with `fluxloop profile add " + profile +
                               " --issuer URL --client-id ID`"};
  }
  auto metadata = co_await metadata_of(ctx.client);
  if (!metadata) co_return metadata.error().to_proto();
  ctx.metadata = std::move(*metadata);
  const std::string scope = ctx.client.scopes.empty() ? std::string(kDefaultScopes) : oauth::join_scopes(ctx.client.scopes);

  // One login per profile at a time: a new one supersedes the old (its listener closes).
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

  proto::LoginStartReply reply;
  reply.login_id = *id;
  reply.profile = profile;
  if (request.device) {
    if (ctx.metadata.device_authorization_endpoint.empty()) {
      co_return proto::Error{proto::ErrorCode::invalid_argument,
                             "the authorization server of profile '" + profile + "' offers no device login; use `fluxloop auth login` in a desktop session"};
    }
    oauth::DeviceRequest device_request{ctx.metadata.device_authorization_endpoint, ctx.client.client_id, scope};
    auto device = co_await oauth::start_device_authorization(*http, std::move(device_request));
    if (!device) co_return device.error().to_proto();
    reply.method = "device";
    reply.verification_uri = device->verification_uri;
    reply.verification_uri_complete = device->verification_uri_complete;
    reply.user_code = device->user_code;
    reply.qr_code = oauth::terminal_qr(device->verification_uri_complete.empty() ? device->verification_uri
                                                                                  : device->verification_uri_complete);
    reply.expires_in = device->expires_in.count();
    asio::co_spawn(executor, run_device_login(*this, login, std::move(ctx), std::move(*device)), asio::detached);
  } else {
    if (ctx.metadata.authorization_endpoint.empty()) {
      co_return proto::Error{proto::ErrorCode::invalid_argument,
                             "the authorization server of profile '" + profile + "' offers no browser login; try `--device`"};
    }
    auto pkce = oauth::make_pkce();
    auto state = oauth::make_state();
    if (!pkce || !state) co_return proto::Error{proto::ErrorCode::internal, "no randomness for the login"};
    auto listener = oauth::LoopbackListener::open(executor);
    if (!listener) co_return std::move(listener).error();
    const std::string redirect_uri = (*listener)->redirect_uri();
    auto url = oauth::build_authorization_url(
        ctx.metadata.authorization_endpoint, {ctx.client.client_id, redirect_uri, scope, *state, pkce->challenge});
    if (!url) co_return std::move(url).error();
    login->listener = std::move(*listener);
    reply.method = "browser";
    reply.url = *url;
    reply.expires_in = kBrowserLoginTimeout.count();
    asio::co_spawn(executor,
                   run_browser_login(*this, login, std::move(ctx), std::move(*pkce), std::move(*state), redirect_uri),
                   asio::detached);
  }
  logins.emplace(*id, std::move(login));
  spdlog::info("login started for profile {} ({})", profile, reply.method);
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
