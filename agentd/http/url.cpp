#include "agentd/http/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace agentd::http {
namespace {

constexpr std::string_view kSchemeSeparator = "://";

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

proto::Error invalid(std::string what, std::string_view url) {
  return {proto::ErrorCode::invalid_argument, std::move(what) + " in URL " + redact_url(url)};
}

// Classifies and validates the host part (brackets already removed for IPv6).
proto::Result<HostKind> check_host(std::string_view host, bool bracketed, std::string_view url) {
  if (host.empty()) return invalid("empty host", url);
  const std::string text(host);
  if (bracketed) {
    in6_addr addr{};
    if (inet_pton(AF_INET6, text.c_str(), &addr) != 1) return invalid("invalid IPv6 address", url);
    return HostKind::ipv6;
  }
  if (!std::all_of(host.begin(), host.end(), is_name_char)) return invalid("invalid host name", url);
  // All digits and dots: must be a complete dotted quad. getaddrinfo would otherwise accept
  // shorthand like "127.1", which certificate checks and users would read differently.
  if (std::all_of(host.begin(), host.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; })) {
    in_addr addr{};
    if (inet_pton(AF_INET, text.c_str(), &addr) != 1) return invalid("invalid IPv4 address", url);
    return HostKind::ipv4;
  }
  return HostKind::name;
}

proto::Result<std::uint16_t> parse_port(std::string_view text, std::string_view url) {
  if (text.empty()) return std::uint16_t{443};  // "host:" means the default port (RFC 3986 §3.2.3)
  if (text.size() > 5 || !std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return invalid("invalid port", url);
  }
  const unsigned long value = std::stoul(std::string(text));
  if (value == 0 || value > 65535) return invalid("port out of range", url);
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string Url::host_header() const {
  std::string out = host_kind == HostKind::ipv6 ? "[" + host + "]" : host;
  // oidc-provider (and others) build absolute URLs from Host: the port must be there when not 443.
  if (port != 443) out += ":" + std::to_string(port);
  return out;
}

std::string Url::display() const {
  return "https://" + host_header() + target.substr(0, target.find('?'));
}

std::string redact_url(std::string_view url) {
  std::string_view text = url.substr(0, url.find_first_of("?#"));
  std::string out(text);
  // Drop user-info ("user:password@"): it is a credential.
  const auto scheme_end = out.find(kSchemeSeparator);
  const auto authority_start = scheme_end == std::string::npos ? 0 : scheme_end + kSchemeSeparator.size();
  const auto authority_end = out.find('/', authority_start);
  const auto at = out.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end);
  if (at != std::string::npos && at >= authority_start) out.erase(authority_start, at + 1 - authority_start);
  // Never echo control characters into a terminal or log.
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return out;
}

proto::Result<Url> parse_https_url(std::string_view url) {
  if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return invalid("whitespace or control character", url);
  }
  const auto scheme_end = url.find(kSchemeSeparator);
  if (scheme_end == std::string_view::npos) return invalid("missing https:// scheme", url);
  const std::string scheme = to_lower(url.substr(0, scheme_end));
  if (scheme == "http") {
    return proto::Error{proto::ErrorCode::invalid_argument,
                        "refusing insecure http:// URL " + redact_url(url) + "; FluxLoop endpoints must use https"};
  }
  if (scheme != "https") return invalid("unsupported scheme \"" + scheme + "\" (FluxLoop endpoints must use https)", url);

  std::string_view rest = url.substr(scheme_end + kSchemeSeparator.size());
  const auto authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  rest = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return invalid("user-info (credentials) not allowed", url);

  Url out;
  std::string_view host;
  std::string_view port_text;
  bool bracketed = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unterminated IPv6 address", url);
    host = authority.substr(1, close - 1);
    bracketed = true;
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid("unexpected text after IPv6 address", url);
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  auto kind = check_host(host, bracketed, url);
  if (!kind) return std::move(kind).error();
  auto port = parse_port(port_text, url);
  if (!port) return std::move(port).error();
  out.host = to_lower(host);  // host names are case-insensitive; certificate checks expect lower case
  out.host_kind = *kind;
  out.port = *port;

  const std::string_view target = rest.substr(0, rest.find('#'));  // fragments never go on the wire
  if (target.empty()) {
    out.target = "/";
  } else if (target.front() == '?') {
    out.target = "/" + std::string(target);
  } else {
    out.target = std::string(target);
  }
  return out;
}

}  // namespace agentd::http
