// What a client step produces: a value, or a Failure that already knows its exit code and message.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "proto/result.hpp"

namespace client {

// Process exit codes (CONTRACT.md "Exit codes").
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitLoginRequired = 3;
inline constexpr int kExitUnreachable = 4;
inline constexpr int kExitPermissionDenied = 5;
inline constexpr int kExitNetwork = 6;

// Where a failure came from; decides whether autostarting the agent can help.
enum class FailureKind {
  local,        // the client refused (bad input, missing file)
  agent,        // the agent answered with an error
  no_listener,  // nobody listens on the socket (ENOENT, ECONNREFUSED): starting an agent may help
  unreachable,  // the agent could not be reached or stopped answering
};

// One failure: the exit code and a message that names the cause and the next step. Never holds a secret.
struct Failure {
  int exit_code = kExitError;
  std::string message;
  FailureKind kind = FailureKind::local;
};

// An error reply of the agent as a Failure: exit code from proto::exit_code_for, the agent's message,
// plus a hint when the agent does not speak this client's protocol.
Failure failure_from_agent(const proto::Error& error);

// Either a value or a Failure. Same shape as proto::Result, so code reads the same on both sides.
template <typename T>
class [[nodiscard]] Outcome {
 public:
  Outcome(T value) : v_(std::move(value)) {}       // NOLINT(google-explicit-constructor)
  Outcome(Failure failure) : v_(std::move(failure)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Failure& failure() const& { return std::get<1>(v_); }
  Failure&& failure() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Failure> v_;
};

}  // namespace client
