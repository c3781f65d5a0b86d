#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <type_traits>

#include "proto/exit_codes.hpp"
#include "proto/expected.hpp"
#include "proto/result.hpp"

namespace {

using proto::Error;
using proto::ErrorCode;
using proto::Result;

// An error type that converts from proto::Error, as oauth::Error does.
struct RichError {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  RichError(ErrorCode c, std::string m) : code(c), message(std::move(m)) {}
  RichError(Error e) : code(e.code), message(std::move(e.message)) {}  // NOLINT(google-explicit-constructor)
};

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return Error{ErrorCode::invalid_argument, "not a digit"};
  return c - '0';
}

Result<int> sum_of(char a, char b) {
  FLUXLOOP_TRY(x, parse_digit(a));
  FLUXLOOP_TRY(y, parse_digit(b));
  return x + y;
}

proto::Status both_digits(char a, char b) {
  FLUXLOOP_CHECK(parse_digit(a));
  FLUXLOOP_CHECK(parse_digit(b));
  return proto::Ok{};
}

}  // namespace

TEST_CASE("expected: a value or an error, with the same accessors for every error type") {
  Result<std::string> value = std::string("v");
  REQUIRE(value);
  CHECK(*value == "v");
  CHECK(value->size() == 1);
  Result<std::string> failed = Error{ErrorCode::not_found, "gone"};
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == ErrorCode::not_found);
  Result<std::string> made(ErrorCode::busy, "later");
  CHECK(made.error().message == "later");
  // Default: an internal error, never a silent value.
  Result<int> unset;
  REQUIRE_FALSE(unset);
  CHECK(unset.error().code == ErrorCode::internal);
  CHECK(unset.error().message == "no result");
  // A proto::Error converts into a richer error type; such Expecteds have no default.
  proto::Expected<int, RichError> rich = Error{ErrorCode::network, "down"};
  CHECK(rich.error().code == ErrorCode::network);
  static_assert(!std::is_default_constructible_v<proto::Expected<int, RichError>>);
  // Move-only values move out.
  proto::Expected<std::unique_ptr<int>, Error> owned = std::make_unique<int>(7);
  auto taken = *std::move(owned);
  CHECK(*taken == 7);
}

TEST_CASE("expected: FLUXLOOP_TRY and FLUXLOOP_CHECK return the first error") {
  CHECK(*sum_of('2', '3') == 5);
  CHECK(sum_of('x', '3').error().message == "not a digit");
  CHECK(sum_of('2', 'y').error().code == ErrorCode::invalid_argument);
  CHECK(both_digits('1', '2'));
  CHECK_FALSE(both_digits('1', 'z'));
}

TEST_CASE("expected: exit codes are the contract's") {
  CHECK(proto::kExitOk == 0);
  CHECK(proto::kExitUsage == 2);
  CHECK(proto::exit_code_for(ErrorCode::login_required) == proto::kExitLoginRequired);
  CHECK(proto::kExitLoginRequired == 3);
  CHECK(proto::kExitUnreachable == 4);
  CHECK(proto::exit_code_for(ErrorCode::permission_denied) == 5);
  CHECK(proto::exit_code_for(ErrorCode::timeout) == 6);
  CHECK(proto::exit_code_for(ErrorCode::invalid_argument) == proto::kExitError);
}
