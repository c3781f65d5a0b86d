// Which requests a locked agent refuses. Every op of proto::Request is classified here, in one place:
// adding an op without deciding whether it serves a secret does not compile.
#pragma once

#include <type_traits>
#include <variant>

#include "proto/codec.hpp"
#include "proto/messages.hpp"

namespace agentd::lock {

template <typename T, typename... Ts>
inline constexpr bool kIsOneOf = (std::is_same_v<T, Ts> || ...);

// Ops that hand out a secret or act with one the agent holds: refused while locked.
template <typename Request>
inline constexpr bool kServesSecret =
    kIsOneOf<Request, proto::GetToken, proto::ApiRequest, proto::ApiKeyCreate, proto::ApiKeyList, proto::ApiKeyInfo,
             proto::ApiKeyRevoke, proto::ApiKeyRotate>;

// Ops that change the configuration (where credentials are sent, which profile is used): refused
// while locked (permission_denied), so a locked agent cannot be re-pointed at another server.
template <typename Request>
inline constexpr bool kChangesConfig = kIsOneOf<Request, proto::ProfileAdd, proto::ProfileRemove, proto::ConfigSet>;

// Ops that never reveal a secret (status shows masks only; redact hides secrets, it does not show
// them; import and login bring credentials in): served while locked. Refreshes go on as well.
template <typename Request>
inline constexpr bool kSafeWhileLocked =
    kIsOneOf<Request, proto::AgentStatus, proto::AgentStop, proto::AgentLock, proto::AgentUnlock, proto::ProfileList,
             proto::AuthImport, proto::AuthStatus, proto::AuthRefresh, proto::AuthLogout, proto::LoginStart,
             proto::LoginWait, proto::Redact, proto::BridgeSync>;

template <typename Variant>
struct AllClassified;
template <typename... Requests>
struct AllClassified<std::variant<Requests...>>
    : std::bool_constant<((int{kServesSecret<Requests>} + int{kChangesConfig<Requests>} + int{kSafeWhileLocked<Requests>} == 1) &&
                          ...)> {};

static_assert(AllClassified<proto::Request>::value,
              "every request must be in exactly one list of agentd/lock/gate.hpp: does it serve a secret or change the configuration?");

// Runs `handle(request)` unless the request serves a secret and `guard.refuse_secret()` (the lock,
// expired lifetimes) returns an error, or it changes the configuration and
// `guard.refuse_config_change()` (the lock) does: that error is then the answer. `handle` must
// outlive the returned awaitable (pass a named local: docs/development.md "g++ 12 and coroutines").
template <typename Guard, typename Request, typename Handle>
auto gated(Guard& guard, Request& request, const Handle& handle) -> decltype(handle(request)) {
  if constexpr (kServesSecret<Request>) {
    if (auto refused = guard.refuse_secret()) co_return std::move(*refused);
  }
  if constexpr (kChangesConfig<Request>) {
    if (auto refused = guard.refuse_config_change()) co_return std::move(*refused);
  }
  co_return co_await handle(request);
}

}  // namespace agentd::lock
