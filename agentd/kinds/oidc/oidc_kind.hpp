// Profiles of kind oidc: standard OAuth 2.0 / OIDC (CONTRACT.md "Platform API"): browser login
// (authorization code + PKCE, RFC 8252 loopback redirect), device login (RFC 8628), refresh_token
// grant, revocation (RFC 7009), API keys under /v1/api-keys.
#pragma once

#include <memory>

#include "agentd/kinds/kind.hpp"
#include "agentd/oauth/discovery.hpp"

namespace agentd::kinds::oidc {

std::unique_ptr<ProfileKind> make_kind(const Services& services);

// The issuer, client id and token endpoint a profile's credentials are refreshed with: the
// credentials' own (an imported file may carry them), else the profile's configuration.
struct Client {
  std::string issuer;
  std::string client_id;
  std::string token_endpoint;
  std::vector<std::string> scopes;
};
Client client_of(const ProfileView& profile, const store::Credentials& credentials);

// Discovery (cached) for a client's issuer; without an issuer, the explicit token endpoint alone.
boost::asio::awaitable<oauth::Result<oauth::ProviderMetadata>> metadata_of(const Services& services, const Client& client);

}  // namespace agentd::kinds::oidc
