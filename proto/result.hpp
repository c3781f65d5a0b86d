// Errors as values, shared by client and agent: a stable code plus a message users can act on.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

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
// The contract's process exit code for an error of this kind (1, 2, 3, 5 or 6).
int exit_code_for(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
};

// Either a value or an Error. Deliberately tiny: no exceptions, no Boost, usable by the thin client.
template <typename T>
class [[nodiscard]] Result {
 public:
  // Default: an internal error, so Results can live where a default value is required
  // (e.g. asio::use_future); real code always returns a value or a named error.
  Result() : v_(Error{ErrorCode::internal, "no result"}) {}
  Result(T value) : v_(std::move(value)) {}                 // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}             // NOLINT(google-explicit-constructor)
  Result(ErrorCode code, std::string message) : v_(Error{code, std::move(message)}) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// For operations that return nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

}  // namespace proto
