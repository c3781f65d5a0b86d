#include <doctest/doctest.h>

#include <chrono>

#include "agentd/http/message.hpp"
#include "agentd/http/url.hpp"

using agentd::http::HostKind;
using agentd::http::parse_https_url;
using agentd::http::parse_retry_after;

TEST_CASE("parse_https_url splits host, port and target") {
  auto url = parse_https_url("https://Auth.Example.com/realms/x/token?a=1&b=2#frag");
  REQUIRE(url.ok());
  CHECK(url->host == "auth.example.com");
  CHECK(url->port == 443);
  CHECK(url->target == "/realms/x/token?a=1&b=2");
  CHECK(url->host_kind == HostKind::name);
  CHECK(url->host_header() == "auth.example.com");
  CHECK(url->display() == "https://auth.example.com/realms/x/token");

  url = parse_https_url("https://127.0.0.1:8443");
  REQUIRE(url.ok());
  CHECK(url->host == "127.0.0.1");
  CHECK(url->port == 8443);
  CHECK(url->target == "/");
  CHECK(url->host_kind == HostKind::ipv4);
  CHECK(url->host_header() == "127.0.0.1:8443");

  url = parse_https_url("https://[::1]:9000?x=y");
  REQUIRE(url.ok());
  CHECK(url->host == "::1");
  CHECK(url->host_kind == HostKind::ipv6);
  CHECK(url->target == "/?x=y");
  CHECK(url->host_header() == "[::1]:9000");

  url = parse_https_url("HTTPS://[2001:db8::5]/p");
  REQUIRE(url.ok());
  CHECK(url->host == "2001:db8::5");
  CHECK(url->port == 443);
  CHECK(url->host_header() == "[2001:db8::5]");

  url = parse_https_url("https://host:/x");  // empty port: the default
  REQUIRE(url.ok());
  CHECK(url->port == 443);
}

TEST_CASE("parse_https_url refuses http:// with the contract's message, without the query") {
  auto url = parse_https_url("http://api.example.com/token?refresh_token=SECRETVALUE");
  REQUIRE_FALSE(url.ok());
  CHECK(url.error().code == proto::ErrorCode::invalid_argument);
  CHECK(url.error().message.find("refusing insecure http:// URL http://api.example.com/token") == 0);
  CHECK(url.error().message.find("FluxLoop endpoints must use https") != std::string::npos);
  CHECK(url.error().message.find("SECRETVALUE") == std::string::npos);
}

TEST_CASE("parse_https_url rejects malformed URLs as invalid_argument") {
  for (const char* bad : {"", "example.com", "ftp://example.com/", "https://", "https:///path", "https://exa mple.com/",
                          "https://user:pw@example.com/", "https://example.com:0/", "https://example.com:65536/",
                          "https://example.com:12a/", "https://[::1/", "https://[zz::1]/", "https://[::1]x/",
                          "https://127.1/", "https://999.1.1.1/", "https://ex\tample/", "https://exa$mple.com/"}) {
    CAPTURE(bad);
    auto url = parse_https_url(bad);
    CHECK_FALSE(url.ok());
    if (!url.ok()) CHECK(url.error().code == proto::ErrorCode::invalid_argument);
  }
}

TEST_CASE("user-info is never echoed in an error message") {
  auto url = parse_https_url("https://alice:hunter2@example.com/x");
  REQUIRE_FALSE(url.ok());
  CHECK(url.error().message.find("hunter2") == std::string::npos);
  CHECK(agentd::http::redact_url("http://u:p@h/x?q=1#f") == "http://h/x");
}

TEST_CASE("Retry-After: delta-seconds, HTTP-date, clamping and junk") {
  using std::chrono::seconds;
  CHECK(parse_retry_after("7") == seconds(7));
  CHECK(parse_retry_after(" 0 ") == seconds(0));
  CHECK(parse_retry_after("99999999999999") == agentd::http::kMaxRetryAfter);
  CHECK_FALSE(parse_retry_after("-3").has_value());
  CHECK_FALSE(parse_retry_after("soon").has_value());
  CHECK_FALSE(parse_retry_after("").has_value());

  // Sun, 06 Nov 1994 08:49:37 GMT == 784111777
  const auto now = std::chrono::system_clock::from_time_t(784111777 - 120);
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now) == seconds(120));
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + seconds(500)) == seconds(0));
  CHECK_FALSE(parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", now).has_value());
  CHECK_FALSE(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now).has_value());
  // Found by fuzz/http_response: a date past system_clock's range overflowed converting it.
  CHECK(parse_retry_after("Sun, 06 Nov 3994 08:49:37 GMT", now) == agentd::http::kMaxRetryAfter);
  CHECK(parse_retry_after("Sun, 06 Nov 0001 08:49:37 GMT", now).value_or(seconds(-1)) == seconds(0));
}

TEST_CASE("Response::header is case-insensitive and returns the first value") {
  agentd::http::Response response;
  response.headers = {{"Content-Type", "application/json"}, {"X-A", "1"}, {"x-a", "2"}};
  CHECK(response.header("content-type") == "application/json");
  CHECK(response.header("X-A") == "1");
  CHECK(response.header("Missing").empty());
}
