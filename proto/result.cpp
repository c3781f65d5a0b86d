#include "proto/result.hpp"

#include <array>

#include "proto/exit_codes.hpp"

namespace proto {
namespace {

struct CodeName {
  ErrorCode code;
  std::string_view name;
};

constexpr std::array kCodeNames{
    CodeName{ErrorCode::bad_request, "bad_request"},
    CodeName{ErrorCode::frame_too_large, "frame_too_large"},
    CodeName{ErrorCode::unsupported_version, "unsupported_version"},
    CodeName{ErrorCode::unknown_op, "unknown_op"},
    CodeName{ErrorCode::invalid_argument, "invalid_argument"},
    CodeName{ErrorCode::no_such_profile, "no_such_profile"},
    CodeName{ErrorCode::profile_exists, "profile_exists"},
    CodeName{ErrorCode::not_found, "not_found"},
    CodeName{ErrorCode::login_required, "login_required"},
    CodeName{ErrorCode::permission_denied, "permission_denied"},
    CodeName{ErrorCode::network, "network"},
    CodeName{ErrorCode::server_error, "server_error"},
    CodeName{ErrorCode::store_error, "store_error"},
    CodeName{ErrorCode::locked, "locked"},
    CodeName{ErrorCode::busy, "busy"},
    CodeName{ErrorCode::timeout, "timeout"},
    CodeName{ErrorCode::internal, "internal"},
};

}  // namespace

std::string_view to_string(ErrorCode code) noexcept {
  for (const auto& entry : kCodeNames) {
    if (entry.code == code) return entry.name;
  }
  return "internal";
}

std::optional<ErrorCode> error_code_from_string(std::string_view text) noexcept {
  for (const auto& entry : kCodeNames) {
    if (entry.name == text) return entry.code;
  }
  return std::nullopt;
}

int exit_code_for(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::login_required: return kExitLoginRequired;
    case ErrorCode::permission_denied: return kExitPermissionDenied;
    case ErrorCode::network:
    case ErrorCode::server_error:
    case ErrorCode::timeout: return kExitNetwork;
    default: return kExitError;
  }
}

}  // namespace proto
