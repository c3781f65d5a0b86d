// The helpers' wire format (docs/security.md "Helper processes"): on the socketpair between the agent
// and a helper, each message is a 4-byte big-endian length then one JSON object, as on the agent's
// socket (proto/frame.hpp), with a larger cap: an HTTPS response body travels base64-encoded.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "proto/result.hpp"

namespace agentd::helpers {

// Largest frame body either side accepts (a 1 MiB response body is ~1.4 MiB in base64).
inline constexpr std::size_t kMaxHelperFrame = 8 * 1024 * 1024;

// Header + JSON text (invalid UTF-8 replaced), ready to write. The caller wipes it when it holds secrets.
std::string encode_frame(const nlohmann::json& message);
// The body length a header announces; an error past kMaxHelperFrame or for 0.
proto::Result<std::size_t> frame_length(std::span<const unsigned char, 4> header);

// Blocking I/O for the helpers' own loops (never used by the agent). nullopt on EOF, error or a
// malformed frame: the helper then exits.
std::optional<nlohmann::json> read_frame_blocking(int fd);
bool write_frame_blocking(int fd, std::string_view frame);

// What both helper mains do first: no core file or ptrace (they hold secrets in flight), SIGPIPE
// ignored, and stdin must be the agent's socket, not a terminal. false (after a message naming
// `program` on stderr) when started by hand: main then exits 2.
bool start_helper(const char* program);

}  // namespace agentd::helpers
