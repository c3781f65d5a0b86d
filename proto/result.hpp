// Errors as values, shared by client and agent: a stable code plus a message users can act on.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "proto/expected.hpp"

namespace proto {

// Stable error codes. Their spelling is on the wire (docs/protocol.md); never rename one.
enum class ErrorCode {
  bad_request,          // malformed frame, invalid JSON/UTF-8, wrong field types
  frame_too_large,      // length prefix over kMaxFrame
  unsupported_version,  // request "v" the agent does not speak
  unknown_op,           // request "op" the agent does not know
  invalid_argument,     // well-formed request with a value that makes no sense
  no_such_profile,
  not_found,            // the platform has no such thing (API key id, path)
  profile_exists,
  login_required,       // no usable refresh token: the user must log in (exit 3)
  permission_denied,    // scope or peer refused (exit 5)
  network,              // server unreachable, TLS failure, timeout (exit 6)
  server_error,         // server answered 5xx or garbage (exit 6)
  store_error,          // the secret store failed or is corrupt
  locked,               // agent locked: no secret is served
  busy,                 // connection cap reached, try again
  timeout,              // an operation exceeded its deadline
  internal,             // a bug: report it
};

std::string_view to_string(ErrorCode code) noexcept;
std::optional<ErrorCode> error_code_from_string(std::string_view text) noexcept;
// The contract's process exit code for an error of this kind (proto/exit_codes.hpp: 1, 3, 5 or 6).
int exit_code_for(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  // What a default-constructed Result holds: real code always returns a value or a named error.
  static Error unset() { return {ErrorCode::internal, "no result"}; }
};

// Either a value or an Error (proto/expected.hpp). Default-constructed: an internal error.
template <typename T>
using Result = Expected<T, Error>;

// For operations that return nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

}  // namespace proto
