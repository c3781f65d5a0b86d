// Parsing of https:// URLs for the agent's HTTPS client. Pure functions, no Asio, no OpenSSL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/result.hpp"

namespace agentd::http {

enum class HostKind { name, ipv4, ipv6 };

// An https URL split into what a connection needs. `host` never has brackets (IPv6 "::1").
struct Url {
  std::string host;
  std::uint16_t port = 443;
  std::string target = "/";  // path plus "?query", never empty, no fragment
  HostKind host_kind = HostKind::name;

  // The Host header value: "host" on port 443, else "host:port"; IPv6 in brackets.
  std::string host_header() const;
  // "https://host[:port]/path" without query: safe for error messages (queries may carry secrets).
  std::string display() const;
};

// Parses an absolute https:// URL. http:// and every other scheme are refused (invalid_argument,
// "refusing insecure http:// URL …"); so are user-info ("user:pw@"), empty hosts, bad ports and
// whitespace or control characters. Error messages never quote the query string.
proto::Result<Url> parse_https_url(std::string_view url);

// The URL text without its query and fragment, for messages about a URL that failed to parse.
std::string redact_url(std::string_view url);

}  // namespace agentd::http
