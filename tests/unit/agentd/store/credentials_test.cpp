#include <doctest/doctest.h>

#include <string>

#include "agentd/store/credentials.hpp"

using agentd::store::Credentials;
using agentd::store::CredentialsFile;
using agentd::store::parse_credentials;
using agentd::store::serialize_credentials;
using agentd::store::serialize_profile;

namespace {

// Fake secrets: distinctive so a test can prove they never reach a message.
constexpr const char* kAccess = "flx_testaccess_7f3a9c1e5b2d4f60";
constexpr const char* kRefresh = "flx_refresh_testrefresh_0a1b2c3d4e";

void check_no_secret(const std::string& message) {
  CHECK(message.find("flx_") == std::string::npos);
  CHECK(message.find("testaccess") == std::string::npos);
  CHECK(message.find("testrefresh") == std::string::npos);
}

}  // namespace

TEST_CASE("credentials: the single-profile shape lands in the named profile") {
  auto text = std::string(R"({"access_token": ")") + kAccess + R"(", "refresh_token": ")" + kRefresh +
              R"(", "expires_at": "2024-11-02T10:00:00Z", "user_email": "user@example.com", "unknown": [1, {"x": 2}]})";
  auto parsed = parse_credentials(text, "production");
  REQUIRE(parsed.ok());
  CHECK(parsed->default_profile.empty());
  REQUIRE(parsed->profiles.size() == 1);
  const auto& p = parsed->profiles.at("production");
  CHECK(p.access_token == kAccess);
  CHECK(p.refresh_token == kRefresh);
  CHECK(p.expires_at == "2024-11-02T10:00:00Z");
  CHECK(p.user_email == "user@example.com");
  CHECK(p.api_endpoint.empty());
}

TEST_CASE("credentials: the platform CLI's auth.json imports with its Python isoformat expiry in UTC") {
  // What the platform CLI writes: datetime.isoformat() of a naive UTC time, microseconds included.
  auto text = std::string(R"({"access_token": ")") + kAccess + R"(", "refresh_token": ")" + kRefresh +
              R"(", "expires_at": "2030-01-02T03:04:05.123456", "user_id": "3f2b6c1e-8a4d-4e8b-9c1a-2b3c4d5e6f70"})";
  auto parsed = parse_credentials(text, "default");
  REQUIRE(parsed.ok());
  const auto& p = parsed->profiles.at("default");
  CHECK(p.expires_at == "2030-01-02T03:04:05Z");
  CHECK(p.user_id == "3f2b6c1e-8a4d-4e8b-9c1a-2b3c4d5e6f70");
  // An offset is folded into UTC; a value that is no date stays as it was (an unknown expiry).
  auto offset = parse_credentials(R"({"access_token": "a", "expires_at": "2030-01-02T03:04:05+01:00"})", "d");
  REQUIRE(offset.ok());
  CHECK(offset->profiles.at("d").expires_at == "2030-01-02T02:04:05Z");
  auto odd = parse_credentials(R"({"access_token": "a", "expires_at": "soon"})", "d");
  REQUIRE(odd.ok());
  CHECK(odd->profiles.at("d").expires_at == "soon");
}

TEST_CASE("credentials: the multi-profile shape with unknown fields ignored and null as absent") {
  auto text = std::string(R"({"default_profile": "production", "version": 7,
    "profiles": {"production": {"access_token": ")") + kAccess + R"(", "refresh_token": ")" + kRefresh +
              R"(", "expires_at": "2024-11-02T10:00:00Z", "api_endpoint": "https://api.fluxloop.ai",
                     "issuer": "https://id.fluxloop.ai", "token_endpoint": "https://id.fluxloop.ai/token",
                     "client_id": "cli", "colour": "blue"},
                 "staging": {"access_token": "a2", "api_endpoint": "https://api-staging.fluxloop.ai", "user_email": null}}})";
  auto parsed = parse_credentials(text, "ignored");
  REQUIRE(parsed.ok());
  CHECK(parsed->default_profile == "production");
  REQUIRE(parsed->profiles.size() == 2);
  const auto& prod = parsed->profiles.at("production");
  CHECK(prod.access_token == kAccess);
  CHECK(prod.issuer == "https://id.fluxloop.ai");
  CHECK(prod.token_endpoint == "https://id.fluxloop.ai/token");
  CHECK(prod.client_id == "cli");
  const auto& staging = parsed->profiles.at("staging");
  CHECK(staging.access_token == "a2");
  CHECK(staging.refresh_token.empty());
  CHECK(staging.user_email.empty());
  CHECK_FALSE(parsed->profiles.contains("ignored"));
}

TEST_CASE("credentials: wrong types name the field and profile but never the values") {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::string secret = kAccess;
  const Case cases[] = {
      {R"({"access_token": 42, "refresh_token": ")" + secret + "\"}", "\"access_token\" must be a string, not a number"},
      {R"({"profiles": {"staging": {"refresh_token": ")" + secret + R"(", "expires_at": {"t": 1}}}})",
       "profile \"staging\": \"expires_at\" must be a string, not an object"},
      {R"({"profiles": {"prod": ")" + secret + "\"}}", "profile \"prod\": must be an object, not a string"},
      {R"({"profiles": [")" + secret + "\"]}", "\"profiles\" must be an object, not an array"},
      {R"({"default_profile": true, "profiles": {}})", "\"default_profile\" must be a string, not a boolean"},
      {"[\"" + secret + "\"]", "the top level must be an object, not an array"},
      {R"({"profiles": {"": {}}})", "a profile name is empty"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.expected);
    auto parsed = parse_credentials(c.text, "production");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == proto::ErrorCode::invalid_argument);
    CHECK(parsed.error().message.find(c.expected) != std::string::npos);
    check_no_secret(parsed.error().message);
  }
}

TEST_CASE("credentials: invalid JSON reports a position and not the surrounding bytes") {
  const std::string inputs[] = {
      std::string(R"({"access_token": ")") + kAccess,                  // unterminated string
      std::string(R"({"access_token": )") + kAccess + "}",             // bare token
      std::string(R"({"refresh_token": ")") + kRefresh + "\" \"x\"}",  // missing colon
      "",
      std::string(R"({"access_token": ")") + kAccess + "\xff\"}",  // invalid UTF-8
  };
  for (const auto& text : inputs) {
    auto parsed = parse_credentials(text, "production");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().message.find("not valid JSON") != std::string::npos);
    check_no_secret(parsed.error().message);
  }
}

TEST_CASE("credentials: serialize writes the second shape with only non-empty fields and parses back") {
  CredentialsFile file;
  file.default_profile = "production";
  Credentials prod;
  prod.access_token = kAccess;
  prod.refresh_token = kRefresh;
  prod.expires_at = "2024-11-02T10:00:00Z";
  prod.api_endpoint = "https://api.fluxloop.ai";
  prod.issuer = "https://id.fluxloop.ai";
  prod.token_endpoint = "https://id.fluxloop.ai/token";
  prod.client_id = "cli";
  prod.user_email = "user@example.com";
  Credentials staging;
  staging.access_token = "a2";
  file.profiles["production"] = prod;
  file.profiles["staging"] = staging;

  auto text = serialize_credentials(file);
  CHECK(text.find("\n  \"profiles\"") != std::string::npos);  // pretty-printed
  CHECK(text.find("refresh_token\": \"\"") == std::string::npos);
  auto staging_at = text.find("\"staging\"");
  REQUIRE(staging_at != std::string::npos);
  CHECK(text.find("expires_at", staging_at) == std::string::npos);  // staging has none

  auto parsed = parse_credentials(text, "x");
  REQUIRE(parsed.ok());
  CHECK(parsed->default_profile == "production");
  CHECK(parsed->profiles == file.profiles);

  auto single = parse_credentials(serialize_profile(prod), "production");
  REQUIRE(single.ok());
  CHECK(single->profiles.at("production") == prod);
  CHECK(serialize_profile(prod).find('\n') == std::string::npos);
}

TEST_CASE("credentials: an empty file object serializes with an empty profiles map") {
  auto text = serialize_credentials(CredentialsFile{});
  auto parsed = parse_credentials(text, "x");
  REQUIRE(parsed.ok());
  CHECK(parsed->profiles.empty());
  CHECK(text.find("default_profile") == std::string::npos);
}
