#include "client/fast_path.hpp"

#include <string_view>

#include "client/app.hpp"
#include "client/output.hpp"

namespace client {
namespace {

constexpr std::string_view kProfileFlag = "--profile";
constexpr std::string_view kProfileAssign = "--profile=";

// A profile name the full parser would take as the option's value: anything else (empty, or
// looking like an option, which CLI11 may read as the next flag) is left to the full parser.
bool plain_value(std::string_view value) { return !value.empty() && value.front() != '-'; }

}  // namespace

std::optional<AuthTokenOptions> fast_auth_token(int argc, char** argv) {
  if (argc < 3 || argc > 5 || std::string_view(argv[1]) != "auth" || std::string_view(argv[2]) != "token") {
    return std::nullopt;
  }
  AuthTokenOptions options;
  if (argc == 3) return options;
  const std::string_view flag = argv[3];
  if (argc == 5 && flag == kProfileFlag && plain_value(argv[4])) {
    options.profile = argv[4];
    return options;
  }
  if (argc == 4 && flag.substr(0, kProfileAssign.size()) == kProfileAssign &&
      plain_value(flag.substr(kProfileAssign.size()))) {
    options.profile = flag.substr(kProfileAssign.size());
    return options;
  }
  return std::nullopt;
}

int run_fast_auth_token(const AuthTokenOptions& options) {
  App app(Environment::from_process());
  const int code = auth_token(app, options);
  if (!finish_output() && code == proto::kExitOk) return proto::kExitError;
  return code;
}

}  // namespace client
