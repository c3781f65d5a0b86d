// Masking secrets for display: the only form in which a secret may appear in logs, status or errors.
#pragma once

#include <string>
#include <string_view>

namespace proto {

// "flx_abcdefghijklmnopa1b2" -> "flx_…a1b2". Secrets shorter than 16 bytes reveal nothing ("…").
// An empty input gives an empty output.
std::string mask_secret(std::string_view secret);

// Overwrites a string's whole capacity (explicit_bzero: not optimised away) and empties it, so a
// buffer that held a secret (a token, a passphrase, a frame carrying either) frees no copy of it.
void wipe(std::string& secret) noexcept;

}  // namespace proto
