// A QR code of a verification URL drawn with Unicode half blocks, for device logins in a terminal.
#pragma once

#include <string>
#include <string_view>

namespace agentd::oauth {

// The QR code of `text` as lines of "█", "▀", "▄" and spaces (two modules per character row, with the
// quiet zone), or "" when it cannot be encoded. Rendered in the agent so the client stays dependency-free.
std::string terminal_qr(std::string_view text);

}  // namespace agentd::oauth
