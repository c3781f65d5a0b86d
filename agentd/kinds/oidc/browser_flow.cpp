// OIDC browser login: authorization code + PKCE with the RFC 8252 loopback redirect. The agent
// owns the listener and the verifier; the client only opens the URL.
#include "agentd/kinds/oidc/flows.hpp"
#include "agentd/oauth/loopback_listener.hpp"
#include "agentd/oauth/pkce.hpp"
#include "agentd/oauth/token_client.hpp"
#include "proto/mask.hpp"

namespace agentd::kinds::oidc {
namespace {
namespace asio = boost::asio;

constexpr auto kBrowserLoginTimeout = std::chrono::seconds(300);

class BrowserFlow final : public LoginFlow {
 public:
  BrowserFlow(FlowContext context, std::shared_ptr<oauth::LoopbackListener> listener, oauth::Pkce pkce, std::string state,
              std::string redirect_uri)
      : ctx_(std::move(context)),
        listener_(std::move(listener)),
        pkce_(std::move(pkce)),
        state_(std::move(state)),
        redirect_uri_(std::move(redirect_uri)) {}
  ~BrowserFlow() override { proto::wipe(pkce_.verifier); }

  asio::awaitable<proto::Result<Arrival>> finish() override {
    auto code = co_await listener_->wait_for_code(state_, kBrowserLoginTimeout);
    if (!code) co_return std::move(code).error();
    // g++ 12: a named local, not a temporary in the co_await (docs/development.md "g++ 12 and coroutines").
    oauth::CodeExchange exchange{ctx_.metadata.token_endpoint, ctx_.client.client_id, *code, pkce_.verifier, redirect_uri_};
    auto tokens = co_await oauth::exchange_code(*ctx_.services.http, std::move(exchange));
    proto::wipe(pkce_.verifier);
    if (!tokens) co_return tokens.error().to_proto();
    co_return co_await arrival_of(ctx_, std::move(*tokens));
  }

 private:
  FlowContext ctx_;
  std::shared_ptr<oauth::LoopbackListener> listener_;
  oauth::Pkce pkce_;
  std::string state_;
  std::string redirect_uri_;
};

}  // namespace

asio::awaitable<proto::Result<StartedLogin>> start_browser(FlowContext ctx) {
  const std::string& name = ctx.profile.name;
  if (ctx.metadata.authorization_endpoint.empty()) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "the authorization server of profile '" + name + "' offers no browser login; try `--device`"};
  }
  auto pkce = oauth::make_pkce();
  auto state = oauth::make_state();
  if (!pkce || !state) co_return proto::Error{proto::ErrorCode::internal, "no randomness for the login"};
  auto opened = oauth::LoopbackListener::open(ctx.services.executor);
  if (!opened) co_return std::move(opened).error();
  std::shared_ptr<oauth::LoopbackListener> listener = std::move(*opened);
  const std::string redirect_uri = listener->redirect_uri();
  auto url = oauth::build_authorization_url(ctx.metadata.authorization_endpoint,
                                            {ctx.client.client_id, redirect_uri, ctx.scope, *state, pkce->challenge});
  if (!url) co_return std::move(url).error();
  // Closing the listener makes a superseded login's wait_for_code return.
  ctx.control->on_end([weak = std::weak_ptr<oauth::LoopbackListener>(listener)] {
    if (auto l = weak.lock()) l->close();
  });
  StartedLogin started;
  started.reply.method = proto::LoginMethod::browser;
  started.reply.url = *url;
  started.reply.expires_in = kBrowserLoginTimeout.count();
  started.flow = std::make_unique<BrowserFlow>(std::move(ctx), std::move(listener), std::move(*pkce), std::move(*state), redirect_uri);
  co_return started;
}

asio::awaitable<Arrival> arrival_of(const FlowContext& ctx, oauth::TokenResponse tokens) {
  Arrival arrival;
  arrival.received = tokens::BootClock::now();
  auto& credentials = arrival.credentials;
  credentials.access_token = tokens.access_token;
  credentials.refresh_token = tokens.refresh_token.value_or("");
  if (tokens.expires_in) {
    credentials.expires_at = tokens::format_rfc3339(std::chrono::system_clock::now() + *tokens.expires_in);
  }
  arrival.expires_in = tokens.expires_in;
  credentials.issuer = ctx.client.issuer;
  credentials.client_id = ctx.client.client_id;
  credentials.api_endpoint = ctx.profile.config.api_endpoint;
  if (auto email = oauth::email_from_id_token(tokens.id_token)) {
    credentials.user_email = *email;
  } else if (!ctx.metadata.userinfo_endpoint.empty()) {
    auto email = co_await oauth::fetch_userinfo_email(*ctx.services.http, ctx.metadata.userinfo_endpoint, tokens.access_token);
    if (email) credentials.user_email = *email;
  }
  co_return arrival;
}

}  // namespace agentd::kinds::oidc
