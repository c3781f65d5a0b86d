#include "proto/codec.hpp"

#include <optional>
#include <string>

#include "proto/duration.hpp"

namespace proto {
namespace {

constexpr std::size_t kMaxEchoedName = 64;  // bytes of an unknown op's name quoted back in the error

std::optional<Error> seconds_out_of_range(std::string_view field, std::int64_t value) {
  if (value >= 0 && value <= kMaxDurationSeconds) return std::nullopt;
  return Error{ErrorCode::bad_request, "field '" + std::string(field) + "' must be a number of seconds from 0 to " +
                                           std::to_string(kMaxDurationSeconds) + " (366 days)"};
}

// Every count of seconds a request carries is bounded here, once, before any handler sees it: a
// min_valid of 10^10 overflowed the agent's clock arithmetic and was answered with a token.
template <typename T>
std::optional<Error> out_of_bounds(const T& request) {
  if constexpr (requires { request.min_valid; }) {
    if (auto bad = seconds_out_of_range("min_valid", request.min_valid)) return bad;
  }
  if constexpr (requires { request.lifetime_seconds; }) {
    if (auto bad = seconds_out_of_range("lifetime_seconds", request.lifetime_seconds)) return bad;
  }
  if constexpr (requires { request.grace_seconds; }) {
    if (auto bad = seconds_out_of_range("grace_seconds", request.grace_seconds)) return bad;
  }
  return std::nullopt;
}

template <typename T>
bool try_decode(std::string_view op, const nlohmann::json& message, std::uint64_t id,
                std::variant<RequestFrame, RejectedRequest>& out) {
  if (op != T::kOp) return false;
  T request{};
  Reader reader(message);
  read(reader, request);
  if (!reader.ok()) out = RejectedRequest{id, *reader.error()};
  else if (auto bad = out_of_bounds(request)) out = RejectedRequest{id, std::move(*bad)};
  else out = RequestFrame{id, Request{std::move(request)}};
  return true;
}

template <typename... Ts>
bool decode_op(std::string_view op, const nlohmann::json& message, std::uint64_t id,
               std::variant<RequestFrame, RejectedRequest>& out, std::variant<Ts...>*) {
  return (try_decode<Ts>(op, message, id, out) || ...);
}

Result<nlohmann::json> parse_object(std::string_view body) {
  if (too_deep(body)) return Error{ErrorCode::bad_request, "JSON nested too deeply"};
  // nlohmann's parser validates UTF-8 inside strings, so invalid UTF-8 is rejected here too.
  auto message = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) return Error{ErrorCode::bad_request, "frame is not valid UTF-8 JSON"};
  if (!message.is_object()) return Error{ErrorCode::bad_request, "frame is not a JSON object"};
  return message;
}

}  // namespace

std::variant<RequestFrame, RejectedRequest> decode_request(std::string_view body) {
  auto parsed = parse_object(body);
  if (!parsed) return RejectedRequest{0, parsed.error()};
  const auto& message = *parsed;

  std::uint64_t id = 0;
  if (auto it = message.find("id"); it != message.end()) {
    if (!it->is_number_unsigned()) return RejectedRequest{0, {ErrorCode::bad_request, "field 'id' must be a non-negative integer"}};
    id = it->get<std::uint64_t>();
  } else {
    return RejectedRequest{0, {ErrorCode::bad_request, "field 'id' must be present"}};
  }
  auto version = message.find("v");
  if (version == message.end() || !version->is_number_integer()) {
    return RejectedRequest{id, {ErrorCode::bad_request, "field 'v' (protocol version) must be an integer"}};
  }
  if (version->get<std::int64_t>() != kProtocolVersion) {
    return RejectedRequest{id, {ErrorCode::unsupported_version,
                                "protocol version " + version->dump() + " is not supported (agent speaks " +
                                    std::to_string(kProtocolVersion) + "); upgrade fluxloop or the agent"}};
  }
  auto op = message.find("op");
  if (op == message.end() || !op->is_string()) {
    return RejectedRequest{id, {ErrorCode::bad_request, "field 'op' must be a string"}};
  }
  const auto& name = op->get_ref<const std::string&>();

  std::variant<RequestFrame, RejectedRequest> out = RejectedRequest{id, {ErrorCode::unknown_op, ""}};
  if (!decode_op(name, message, id, out, static_cast<Request*>(nullptr))) {
    // The name is echoed through dump() so control characters cannot reach a terminal raw, and cut:
    // an echo must not let a client write kilobytes into the agent's log per request.
    const bool cut = name.size() > kMaxEchoedName;
    const nlohmann::json shown = cut ? name.substr(0, kMaxEchoedName) : name;
    return RejectedRequest{id, {ErrorCode::unknown_op, "unknown op " +
                                    shown.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) +
                                    (cut ? " (cut at " + std::to_string(kMaxEchoedName) + " bytes)" : "")}};
  }
  return out;
}

std::string encode_error(std::uint64_t id, const Error& error) {
  nlohmann::json message = {{"id", id},
                            {"ok", false},
                            {"error", {{"code", to_string(error.code)}, {"message", error.message}}}};
  return detail::finish(message);
}

namespace detail {

std::string finish(const nlohmann::json& message) {
  return frame(message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Result<nlohmann::json> open_reply(std::string_view body, std::uint64_t expected_id) {
  auto parsed = parse_object(body);
  if (!parsed) return Error{ErrorCode::bad_request, "bad reply from agent: " + parsed.error().message};
  auto& message = *parsed;
  auto id = message.find("id");
  if (id == message.end() || !id->is_number_unsigned()) {
    return Error{ErrorCode::bad_request, "bad reply from agent: wrong or missing request id"};
  }
  auto ok = message.find("ok");
  if (ok == message.end() || !ok->is_boolean()) {
    return Error{ErrorCode::bad_request, "bad reply from agent: field 'ok' missing"};
  }
  // Id 0 is the agent's word about the connection itself (busy, permission_denied, a frame it could
  // not decode): an error that answers whatever request is outstanding. Anything else must match.
  const bool connection_error = id->get<std::uint64_t>() == 0 && !ok->get<bool>();
  if (id->get<std::uint64_t>() != expected_id && !connection_error) {
    return Error{ErrorCode::bad_request, "bad reply from agent: wrong or missing request id"};
  }
  if (ok->get<bool>()) return std::move(message);

  std::string code_name;
  std::string text;
  if (auto error = message.find("error"); error != message.end() && error->is_object()) {
    Reader reader(*error, "error");
    reader.optional("code", code_name);
    reader.optional("message", text);
  }
  auto code = error_code_from_string(code_name);
  if (!code) return Error{ErrorCode::internal, "agent error '" + code_name + "': " + text};
  return Error{*code, std::move(text)};
}

}  // namespace detail
}  // namespace proto
