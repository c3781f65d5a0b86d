// Masking secrets for display: the only form in which a secret may appear in logs, status or errors.
#pragma once

#include <string>
#include <string_view>

namespace proto {

// "flx_abcdefghijklmnopa1b2" -> "flx_…a1b2". Secrets shorter than 16 bytes reveal nothing ("…").
// An empty input gives an empty output.
std::string mask_secret(std::string_view secret);

}  // namespace proto
