// OAuth errors as values: a proto error code plus what a retry policy needs (Retry-After, the
// server's OAuth "error" code), and the mapping of error responses (RFC 6749 §5.2) onto them.
#pragma once

#include <chrono>
#include <span>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "agentd/http/message.hpp"
#include "proto/result.hpp"

namespace agentd::oauth {

// Secrets a request carried, to be masked should the server echo them. Pass a named std::array
// (docs/development.md "g++ 12 and coroutines").
using Secrets = std::span<const std::string_view>;

// Longest server-provided text (error_description) quoted in a message.
inline constexpr std::size_t kMaxDescription = 200;

struct Error {
  proto::ErrorCode code = proto::ErrorCode::internal;
  std::string message;                              // for the user; never holds a secret
  std::string oauth_error;                          // the server's "error" ("invalid_grant"), sanitised
  std::optional<std::chrono::seconds> retry_after;  // set from Retry-After on 429/5xx
  int http_status = 0;                              // 0 when no response arrived

  Error() = default;
  Error(proto::ErrorCode error_code, std::string text) : code(error_code), message(std::move(text)) {}
  Error(proto::Error error) : code(error.code), message(std::move(error.message)) {}  // NOLINT: transport errors
  proto::Error to_proto() const { return {code, message}; }
};

// proto::Result with oauth::Error: a proto::Error or (code, message) converts to one.
template <typename T>
using Result = proto::Expected<T, Error>;

// Server-provided text made safe to show: every secret in `secrets` replaced by its mask, bytes
// outside printable ASCII replaced by '?', cut to `max_length` (with "...").
std::string sanitize_server_text(std::string_view text, Secrets secrets = {},
                                 std::size_t max_length = kMaxDescription);

// Maps a non-success response of an OAuth endpoint. `what` names the operation for the message
// ("token refresh"); `secrets` are the secrets the request carried, masked should the server echo them.
//   invalid_grant             -> login_required, telling the user to log in again
//   access_denied, invalid_scope, unauthorized_client -> permission_denied
//   other OAuth errors (4xx)  -> invalid_argument, quoting error and error_description
//   429, 5xx                  -> server_error with retry_after
//   401/403 without a body error (WWW-Authenticate may carry one) -> permission_denied
//   anything else             -> server_error naming the status
Error map_error_response(const http::Response& response, std::string_view what,
                         Secrets secrets = {});

}  // namespace agentd::oauth
