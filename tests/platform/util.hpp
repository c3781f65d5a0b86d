// Small helpers of the emulator's logic: randomness, hashes, encodings, form/query parsing, times.
// Plain C++ plus OpenSSL's libcrypto; no Asio or Beast.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tests/platform/http_types.hpp"

namespace platform {

// `bytes` random bytes from OpenSSL's RAND_bytes as lower-case hex (2*bytes characters).
std::string random_hex(std::size_t bytes);
// A random UUID in version 4 format ("3f2b…-…-4…-[89ab]…-…"), lower-case.
std::string random_uuid();
// A UUID in version 4 format derived from `seed` (SHA-256), so the same seed gives the same UUID.
std::string uuid_from(std::string_view seed);
// A user code like "BCDF-GHJK" from the RFC 8628 §6.1 alphabet (no vowels, no look-alikes).
std::string random_user_code();

// Raw SHA-256 digest of `data` (32 bytes).
std::string sha256(std::string_view data);
// Raw HMAC-SHA256 of `data` under `key` (32 bytes).
std::string hmac_sha256(std::string_view key, std::string_view data);
// Lower-case hex of raw bytes.
std::string to_hex(std::string_view raw);
// Base64url without padding (RFC 4648 §5), as PKCE and JWT use it.
std::string base64url(std::string_view raw);
// Standard base64 decoding (padding optional); nullopt on bad input.
std::optional<std::string> base64_decode(std::string_view text);

// Percent-decoding; '+' becomes ' ' when `plus_is_space`. nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);
// Percent-encoding of everything but RFC 3986 unreserved characters.
std::string percent_encode(std::string_view text);
// Parses "a=1&b=2" (form body or query string). nullopt on bad escapes or a repeated name
// (RFC 6749 §3.1: parameters must not be included more than once).
std::optional<std::map<std::string, std::string>> parse_form(std::string_view text);

// True when the space-separated scope string contains `item`.
bool has_scope(std::string_view scope, std::string_view item);

// "2024-11-02T10:00:00Z" for a system-clock time.
std::string iso8601(std::chrono::system_clock::time_point t);
// Seconds since the epoch.
long long unix_seconds(std::chrono::system_clock::time_point t);
// HTML-escapes text for the small human pages.
std::string html_escape(std::string_view text);

// A JSON response with the standard headers.
HttpResponse json_response(int status, const nlohmann::json& body);
// An OAuth / API error body {"error","error_description"} with Cache-Control: no-store.
HttpResponse error_response(int status, std::string_view error, std::string_view description);
// An RFC 6750 §3 error: the JSON body plus WWW-Authenticate: Bearer error=..., scope=... (if given).
HttpResponse bearer_error(int status, std::string_view error, std::string_view description,
                          std::string_view scope = {});
// The token of an "Authorization: Bearer TOKEN" header (scheme case-insensitive), or nullopt.
std::optional<std::string> bearer_token(const HttpRequest& req);
// A FastAPI-style error: `status` with {"detail": detail} (401s also get WWW-Authenticate: Bearer).
HttpResponse detail_response(int status, std::string_view detail);
// A FastAPI-style 422: {"detail": [{"loc": [where, field], "msg", "type"}]}.
HttpResponse validation_error(std::string_view where, std::string_view field, std::string_view msg,
                              std::string_view type = "value_error.missing");
// A small HTML page.
HttpResponse html_response(int status, std::string_view title, std::string_view body_html);

}  // namespace platform
