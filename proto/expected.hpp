// The one value-or-error template of the project: proto::Result (proto::Error), oauth::Result
// (oauth::Error) and client::Outcome (client::Failure) are aliases of Expected. No exceptions, no
// Boost: the thin client uses it too. FLUXLOOP_TRY / FLUXLOOP_CO_TRY unwrap one or return its error.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

namespace proto {

// Either a value of T or an error of E. E may provide `static E unset()`: Expecteds of it then
// default-construct to that error (for places that need a default value, e.g. asio::use_future).
template <typename T, typename E>
class [[nodiscard]] Expected {
 public:
  using value_type = T;
  using error_type = E;

  Expected() requires requires { E::unset(); } : v_(std::in_place_index<1>, E::unset()) {}
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Expected(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)
  // An error of another type that converts to E implicitly (a proto::Error into an oauth::Error).
  template <typename G>
    requires(!std::is_same_v<std::remove_cvref_t<G>, E> && !std::is_same_v<std::remove_cvref_t<G>, T> &&
             std::is_convertible_v<G, E> && !std::is_convertible_v<G, T>)
  Expected(G&& error) : v_(std::in_place_index<1>, E(std::forward<G>(error))) {}  // NOLINT(google-explicit-constructor)
  // An error made in place from two arguments, e.g. proto::Result<T>(ErrorCode::invalid_argument, "why").
  template <typename A, typename B>
    requires requires(A&& a, B&& b) { E{std::forward<A>(a), std::forward<B>(b)}; }
  Expected(A&& a, B&& b) : v_(std::in_place_index<1>, E{std::forward<A>(a), std::forward<B>(b)}) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const E& error() const& { return std::get<1>(v_); }
  E&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, E> v_;
};

}  // namespace proto

#define FLUXLOOP_CONCAT_IMPL(a, b) a##b
#define FLUXLOOP_CONCAT(a, b) FLUXLOOP_CONCAT_IMPL(a, b)
#define FLUXLOOP_TRY_IMPL(tmp, var, ret, ...) \
  auto tmp = (__VA_ARGS__);                   \
  if (!tmp) ret std::move(tmp).error();       \
  auto& var = *tmp

// `FLUXLOOP_TRY(name, expr);` evaluates the Expected `expr`; on an error, returns that error from the
// enclosing function; else declares `name` as a reference to the value (alive to the end of the scope).
#define FLUXLOOP_TRY(var, ...) FLUXLOOP_TRY_IMPL(FLUXLOOP_CONCAT(fluxloop_try_, __LINE__), var, return, __VA_ARGS__)
// FLUXLOOP_TRY for coroutines (co_return); `expr` may co_await: `FLUXLOOP_CO_TRY(x, co_await f());`.
#define FLUXLOOP_CO_TRY(var, ...) \
  FLUXLOOP_TRY_IMPL(FLUXLOOP_CONCAT(fluxloop_try_, __LINE__), var, co_return, __VA_ARGS__)
// `FLUXLOOP_CHECK(expr);`: returns the error of `expr` (a Status or any Expected) from the enclosing
// function, else goes on and drops the value; FLUXLOOP_CO_CHECK is the coroutine form.
#define FLUXLOOP_CHECK(...)                                                              \
  do {                                                                                   \
    if (auto fluxloop_check = (__VA_ARGS__); !fluxloop_check) return std::move(fluxloop_check).error(); \
  } while (false)
#define FLUXLOOP_CO_CHECK(...)                                                              \
  do {                                                                                      \
    if (auto fluxloop_check = (__VA_ARGS__); !fluxloop_check) co_return std::move(fluxloop_check).error(); \
  } while (false)
