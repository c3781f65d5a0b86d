// Encoding and decoding whole protocol messages. decode_request is the one place where untrusted
// bytes become typed requests; both sides encode with the same functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "proto/frame.hpp"
#include "proto/messages.hpp"
#include "proto/messages_bridge.hpp"
#include "proto/messages_platform.hpp"

namespace proto {

// Every request the agent understands. The agent dispatches with std::visit, so a request type
// added here without a handler does not compile.
using Request = std::variant<AgentStatus, AgentStop, AgentLock, AgentUnlock, ProfileAdd, ProfileList,
                             ProfileRemove, ConfigSet, AuthImport, GetToken, AuthStatus, AuthRefresh,
                             AuthLogout, LoginStart, LoginWait, ApiKeyCreate, ApiKeyList, ApiKeyInfo,
                             ApiKeyRevoke, ApiKeyRotate, ApiRequest, Redact, BridgeSync>;

struct RequestFrame {
  std::uint64_t id = 0;
  Request request;
};
// A request that could not be decoded; `id` is echoed when the frame carried one.
struct RejectedRequest {
  std::uint64_t id = 0;
  Error error;
};

// Decodes one frame body (without its header). Never throws, never allocates beyond the body's size.
std::variant<RequestFrame, RejectedRequest> decode_request(std::string_view body);

namespace detail {
std::string finish(const nlohmann::json& message);  // dump (invalid UTF-8 replaced) and frame
Result<nlohmann::json> open_reply(std::string_view body, std::uint64_t expected_id);
}  // namespace detail

// A complete frame (header + body) carrying request `r` with id `id`.
template <typename Req>
std::string encode_request(std::uint64_t id, const Req& r) {
  nlohmann::json message = {{"v", kProtocolVersion}, {"id", id}, {"op", Req::kOp}};
  write(message, r);
  return detail::finish(message);
}

// A complete frame carrying a successful reply.
template <typename Rep>
std::string encode_reply(std::uint64_t id, const Rep& r) {
  nlohmann::json message = {{"id", id}, {"ok", true}};
  write(message, r);
  return detail::finish(message);
}

// A complete frame carrying {"ok":false,"error":{"code","message"}}.
std::string encode_error(std::uint64_t id, const Error& error);

// Decodes a reply body for request `expected_id`: the typed reply, or the agent's error.
template <typename Rep>
Result<Rep> decode_reply(std::string_view body, std::uint64_t expected_id) {
  auto opened = detail::open_reply(body, expected_id);
  if (!opened) return std::move(opened).error();
  Rep reply{};
  Reader reader(*opened);
  read(reader, reply);
  if (!reader.ok()) return Error{ErrorCode::bad_request, "bad reply from agent: " + reader.error()->message};
  return reply;
}

}  // namespace proto
