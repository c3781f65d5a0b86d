// OAuth/OIDC server metadata: discovery (OIDC Discovery 1.0, falling back to RFC 8414), its
// validation, and a small per-issuer cache.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "agentd/http/https_client.hpp"
#include "agentd/oauth/errors.hpp"

namespace agentd::oauth {

// How long discovered metadata is reused before it is fetched again.
inline constexpr std::chrono::seconds kDiscoveryTtl{3600};

// The endpoints the agent uses. Every non-empty endpoint is an https URL; empty = not offered.
struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;  // always present
  std::string device_authorization_endpoint;
  std::string revocation_endpoint;
  std::string userinfo_endpoint;
  std::vector<std::string> code_challenge_methods_supported;  // empty when not advertised
};

// {issuer}/.well-known/openid-configuration (OIDC Discovery §4: appended to the issuer's path).
std::string openid_configuration_url(std::string_view issuer);
// https://host/.well-known/oauth-authorization-server{path} (RFC 8414 §3.1: inserted before the path).
std::string authorization_server_metadata_url(std::string_view issuer);

// Validates a metadata document: a JSON object whose "issuer" equals `issuer` (a trailing '/' aside;
// this stops one server impersonating another's endpoints), with an https token_endpoint, and no
// non-https endpoint. Failures are server_error naming the field, never quoting the body.
Result<ProviderMetadata> parse_provider_metadata(const http::Response& response, std::string_view issuer);

// Fetches and validates the metadata of `issuer` (which must be https): openid-configuration first,
// the RFC 8414 document when that answers 4xx. Network errors are returned, not retried.
boost::asio::awaitable<Result<ProviderMetadata>> discover(http::Client& client, std::string issuer);

// discover() with results kept per issuer for `ttl`. Failures are not cached. Both the client and
// the cache must outlive every awaited get().
class DiscoveryCache {
 public:
  explicit DiscoveryCache(http::Client& client, std::chrono::seconds ttl = kDiscoveryTtl);

  // Cached metadata when fresh, else discover() (and cache its success).
  boost::asio::awaitable<Result<ProviderMetadata>> get(std::string issuer);
  // Drops the entry of `issuer`, e.g. after its token endpoint stopped answering.
  void forget(std::string_view issuer);

 private:
  struct Entry {
    ProviderMetadata metadata;
    std::chrono::steady_clock::time_point fetched_at;
  };
  http::Client& client_;
  std::chrono::seconds ttl_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace agentd::oauth
