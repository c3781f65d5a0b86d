#include "agentd/oauth/discovery.hpp"

#include <array>

#include <nlohmann/json.hpp>

#include "agentd/http/url.hpp"

namespace agentd::oauth {
namespace {

using nlohmann::json;

constexpr std::string_view kOpenIdSuffix = "/.well-known/openid-configuration";
constexpr std::string_view kAuthorizationServerPrefix = "/.well-known/oauth-authorization-server";
constexpr std::string_view kSchemeSeparator = "://";

std::string_view strip_trailing_slash(std::string_view issuer) {
  if (!issuer.empty() && issuer.back() == '/') issuer.remove_suffix(1);
  return issuer;
}

Error invalid_document(std::string_view issuer, const std::string& reason) {
  return Error(proto::ErrorCode::server_error, "the discovery document of " + http::redact_url(issuer) + " " + reason);
}

}  // namespace

std::string openid_configuration_url(std::string_view issuer) {
  return std::string(strip_trailing_slash(issuer)) + std::string(kOpenIdSuffix);
}

std::string authorization_server_metadata_url(std::string_view issuer) {
  issuer = strip_trailing_slash(issuer);
  const auto scheme_end = issuer.find(kSchemeSeparator);
  const auto path_start = scheme_end == std::string_view::npos ? std::string_view::npos
                                                                : issuer.find('/', scheme_end + kSchemeSeparator.size());
  if (path_start == std::string_view::npos) return std::string(issuer) + std::string(kAuthorizationServerPrefix);
  return std::string(issuer.substr(0, path_start)) + std::string(kAuthorizationServerPrefix) +
         std::string(issuer.substr(path_start));
}

Result<ProviderMetadata> parse_provider_metadata(const http::Response& response, std::string_view issuer) {
  const auto object = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) return invalid_document(issuer, "is not a JSON object");
  auto text = [&](const char* name) -> std::string {
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
  };
  ProviderMetadata out;
  out.issuer = text("issuer");
  // OIDC Discovery §4.3 / RFC 8414 §3.3: a document for another issuer would let that server hand
  // out endpoints (and collect refresh tokens) in the configured issuer's name.
  if (strip_trailing_slash(out.issuer) != strip_trailing_slash(issuer)) {
    return invalid_document(issuer, "names a different issuer (\"" + sanitize_server_text(out.issuer, {}, 120) + "\")");
  }
  out.authorization_endpoint = text("authorization_endpoint");
  out.token_endpoint = text("token_endpoint");
  out.device_authorization_endpoint = text("device_authorization_endpoint");
  out.revocation_endpoint = text("revocation_endpoint");
  out.userinfo_endpoint = text("userinfo_endpoint");
  if (out.token_endpoint.empty()) return invalid_document(issuer, "has no token_endpoint");
  const std::pair<const char*, const std::string*> endpoints[] = {
      {"authorization_endpoint", &out.authorization_endpoint},
      {"token_endpoint", &out.token_endpoint},
      {"device_authorization_endpoint", &out.device_authorization_endpoint},
      {"revocation_endpoint", &out.revocation_endpoint},
      {"userinfo_endpoint", &out.userinfo_endpoint}};
  for (const auto& [name, value] : endpoints) {
    if (value->empty()) continue;
    if (auto url = http::parse_https_url(*value); !url) {
      return invalid_document(issuer, "lists an unusable " + std::string(name) + ": " + url.error().message);
    }
  }
  if (const auto methods = object.find("code_challenge_methods_supported"); methods != object.end() && methods->is_array()) {
    for (const auto& method : *methods) {
      if (method.is_string()) out.code_challenge_methods_supported.push_back(method.get<std::string>());
    }
  }
  return out;
}

boost::asio::awaitable<Result<ProviderMetadata>> discover(http::Client& client, std::string issuer) {
  if (auto url = http::parse_https_url(issuer); !url) {
    co_return Error(url.error().code, "issuer: " + url.error().message);
  }
  if (issuer.find_first_of("?#") != std::string::npos) {
    co_return Error(proto::ErrorCode::invalid_argument, "issuer " + http::redact_url(issuer) + " must not have a query or fragment");
  }
  const std::string what = "OIDC discovery for " + issuer;
  const std::array<std::string, 2> urls{openid_configuration_url(issuer), authorization_server_metadata_url(issuer)};
  for (const auto& url : urls) {
    http::Request request;
    request.url = url;
    auto response = co_await client.send(std::move(request));
    if (!response) co_return Error(response.error().code, what + " failed: " + response.error().message);
    if (response->status == 200) co_return parse_provider_metadata(*response, issuer);
    // Only "no such document" moves on to the RFC 8414 location; 5xx and 429 are reported.
    if (response->status < 400 || response->status >= 500 || response->status == 429) {
      co_return map_error_response(*response, what);
    }
  }
  co_return Error(proto::ErrorCode::server_error,
                  what + " failed: neither " + openid_configuration_url(issuer) + " nor " +
                      authorization_server_metadata_url(issuer) + " exists; set the profile's endpoints explicitly");
}

DiscoveryCache::DiscoveryCache(http::Client& client, std::chrono::seconds ttl) : client_(client), ttl_(ttl) {}

boost::asio::awaitable<Result<ProviderMetadata>> DiscoveryCache::get(std::string issuer) {
  const std::string key(strip_trailing_slash(issuer));
  if (const auto it = entries_.find(key); it != entries_.end()) {
    if (std::chrono::steady_clock::now() - it->second.fetched_at < ttl_) co_return it->second.metadata;
    entries_.erase(it);
  }
  auto metadata = co_await discover(client_, std::move(issuer));
  // Re-looked-up after the suspension: another get() may have filled the entry meanwhile.
  if (metadata) entries_.insert_or_assign(key, Entry{*metadata, std::chrono::steady_clock::now()});
  co_return metadata;
}

void DiscoveryCache::forget(std::string_view issuer) {
  if (const auto it = entries_.find(strip_trailing_slash(issuer)); it != entries_.end()) entries_.erase(it);
}

}  // namespace agentd::oauth
