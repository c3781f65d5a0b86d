#include "agentd/kinds/oidc/oidc_kind.hpp"

#include <array>

#include <spdlog/spdlog.h>

#include "agentd/kinds/oidc/flows.hpp"
#include "agentd/oauth/token_client.hpp"

namespace agentd::kinds::oidc {
namespace {
namespace asio = boost::asio;

constexpr std::string_view kDefaultScopes = "openid email offline_access";
// g++ 12: a named array, not a braced list in a coroutine (docs/development.md "g++ 12 and coroutines").
constexpr std::array kRevokedFirst{oauth::TokenTypeHint::refresh_token, oauth::TokenTypeHint::access_token};
constexpr KeyApi kKeys{.collection = "/v1/api-keys", .per_project = false, .item_get = true, .lookup_by_value = true};

class OidcKind final : public ProfileKind {
 public:
  explicit OidcKind(const Services& services) : services_(services) {}

  proto::ProfileKind id() const noexcept override { return proto::ProfileKind::oidc; }
  const KeyApi& keys() const noexcept override { return kKeys; }

  asio::awaitable<proto::Result<StartedLogin>> start_login(LoginRequest request) override {
    FlowContext ctx{services_, request.profile, client_of(request.profile, request.known), {}, {}, request.control};
    const std::string& name = request.profile.name;
    if (ctx.client.issuer.empty() || ctx.client.client_id.empty()) {
      co_return proto::Error{proto::ErrorCode::invalid_argument,
                             "profile '" + name + "' has no issuer or client id: add it with `fluxloop profile add " + name +
                                 " --issuer URL --client-id ID`"};
    }
    auto metadata = co_await metadata_of(services_, ctx.client);
    if (!metadata) co_return metadata.error().to_proto();
    ctx.metadata = std::move(*metadata);
    ctx.scope = ctx.client.scopes.empty() ? std::string(kDefaultScopes) : oauth::join_scopes(ctx.client.scopes);
    if (request.device) co_return co_await start_device(std::move(ctx));
    co_return co_await start_browser(std::move(ctx));
  }

  asio::awaitable<tokens::Attempt> refresh(ProfileView profile, store::Credentials current) override {
    const auto client = client_of(profile, current);
    auto metadata = co_await metadata_of(services_, client);
    if (!metadata) co_return tokens::Attempt{metadata.error().to_proto(), metadata.error().retry_after};
    // g++ 12: a named local, not a temporary in the co_await (docs/development.md "g++ 12 and coroutines").
    oauth::RefreshRequest request{metadata->token_endpoint, client.client_id, current.refresh_token.str(), {}};
    auto response = co_await oauth::refresh_tokens(*services_.http, std::move(request));
    if (!response) co_return tokens::Attempt{response.error().to_proto(), response.error().retry_after};
    tokens::Grant grant;
    grant.access_token = response->access_token;
    grant.refresh_token = response->refresh_token.value_or("");
    grant.expires_in = response->expires_in;
    if (auto email = oauth::email_from_id_token(response->id_token)) grant.user_email = *email;
    co_return tokens::Attempt{std::move(grant), std::nullopt};
  }

  asio::awaitable<Revocation> revoke(ProfileView profile, store::Credentials credentials) override {
    Revocation out;
    const auto client = client_of(profile, credentials);
    // Revoking the refresh token ends the whole grant at most servers; the access token is revoked
    // too for servers that track them separately.
    if (client.issuer.empty()) {
      out.warning = "no issuer known for this profile, so nothing was revoked at the server";
      co_return out;
    }
    auto metadata = co_await metadata_of(services_, client);
    if (!metadata) {
      out.warning = "could not reach the server to revoke the tokens (" + metadata.error().message + ")";
      co_return out;
    }
    if (metadata->revocation_endpoint.empty()) {
      out.warning = "the server offers no revocation endpoint; the tokens stay valid there until they expire";
      co_return out;
    }
    bool all_revoked = true;
    std::string failure;
    for (const auto hint : kRevokedFirst) {
      const proto::SecureText& token =
          hint == oauth::TokenTypeHint::refresh_token ? credentials.refresh_token : credentials.access_token;
      if (token.empty()) continue;
      // revoke_token wipes its ordinary copy.
      oauth::RevokeRequest revoke_request{metadata->revocation_endpoint, client.client_id, token.str(), hint};
      auto revoked = co_await oauth::revoke_token(*services_.http, std::move(revoke_request));
      if (!revoked) {
        all_revoked = false;
        failure = revoked.error().message;
      }
    }
    out.revoked = all_revoked;
    if (!all_revoked) out.warning = "could not revoke at the server (" + failure + "); forgot the tokens locally";
    co_return out;
  }

 private:
  Services services_;
};

}  // namespace

std::unique_ptr<ProfileKind> make_kind(const Services& services) { return std::make_unique<OidcKind>(services); }

Client client_of(const ProfileView& profile, const store::Credentials& credentials) {
  Client client{credentials.issuer, credentials.client_id, credentials.token_endpoint, {}};
  // Bound credentials go only where they came from: the configured issuer is not consulted, so a
  // profile re-pointed at another server can never receive this refresh token (nor revoke it there).
  // Only credentials bound to neither (stored by older versions) fall back to the configuration.
  const bool bound = !credentials.issuer.empty() || !credentials.token_endpoint.empty();
  if (!bound) client.issuer = profile.config.issuer;
  if (client.client_id.empty()) client.client_id = profile.config.client_id;
  client.scopes = profile.config.scopes;
  return client;
}

asio::awaitable<oauth::Result<oauth::ProviderMetadata>> metadata_of(const Services& services, const Client& client) {
  if (client.issuer.empty()) {
    oauth::ProviderMetadata explicit_endpoints;
    explicit_endpoints.token_endpoint = client.token_endpoint;
    if (!client.token_endpoint.empty()) co_return explicit_endpoints;
    co_return oauth::Error{proto::ErrorCode::invalid_argument,
                           "the profile has no issuer to refresh with: add one with `fluxloop profile add NAME --issuer URL --client-id ID`"};
  }
  auto metadata = co_await services.discovery->get(client.issuer);
  // Explicit endpoints in a profile override discovery.
  if (metadata && !client.token_endpoint.empty()) metadata->token_endpoint = client.token_endpoint;
  co_return metadata;
}

}  // namespace agentd::kinds::oidc
