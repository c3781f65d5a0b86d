// get_token, the request scripts send on every run, encoded and its reply decoded without building
// JSON: the client's cost is per page of code it touches (docs/performance.md). Each gives exactly
// what encode_request / decode_reply give, and is them for any input it does not recognise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/messages.hpp"
#include "proto/result.hpp"

namespace proto {

// The frame encode_request(id, request) writes, built by hand when the profile is printable ASCII
// without '"' or '\\' and min_valid is not negative.
std::string encode_get_token(std::uint64_t id, const GetToken& request);

// The reply in `body` when it is a successful token reply for `expected_id` in either encoding the agent
// writes (encode_reply's sorted keys, or its cached reply's with the id first) with plain strings
// (printable ASCII, no escapes); else nullopt. Whatever it returns, decode_reply returns too.
std::optional<TokenReply> scan_token_reply(std::string_view body, std::uint64_t expected_id);

// What decode_reply<TokenReply>(body, expected_id) returns: scan_token_reply's answer when it has one.
Result<TokenReply> decode_token_reply(std::string_view body, std::uint64_t expected_id);

}  // namespace proto
