#include "tests/platform/options.hpp"

#include <charconv>
#include <cstdio>
#include <optional>
#include <string_view>

namespace platform {

namespace {
constexpr const char* kUsage = R"(usage: fluxloop-platform --cert CERT.pem --key KEY.pem [options]

A FluxLoop platform emulator for tests and demos: OAuth 2.0/OIDC server plus the FluxLoop API over
HTTPS. See docs/platform-api.md.

  --cert FILE                  PEM certificate chain of the server (required)
  --key FILE                   PEM private key of the server (required)
  --host ADDR                  listen address (default 127.0.0.1)
  --port N                     listen port; 0 picks a free one (default 0)
  --port-file FILE             write the port there (atomically) once listening
  --token-lifetime SECONDS     access token lifetime (default 3600)
  --refresh-token-lifetime S   refresh token lifetime, 0 = unlimited (default 0)
  --no-rotate                  keep refresh tokens on refresh (default: rotate, detect reuse)
  --auto-approve               approve browser and device logins automatically (default)
  --no-auto-approve            browser logins get 403; device codes wait for /_emulator/device/approve
  --device-interval SECONDS    polling interval for device codes (default 1)
  --device-approve-after-polls N  auto-approve a device code after N pending polls (default 1)
  --user-email EMAIL           e-mail of the emulated user (default user@example.com)
  --cli-connect-interval S     polling interval of CLI-connect logins (default 1)
  --cli-connect-spelling plain|sec  expires_in/interval (default) or expires_in_sec/interval_sec
  --no-cli-connect-auto-approve  CLI-connect logins wait for /_emulator/cli-connect/approve
  --api-key-shape SHAPE        key (default), api_key, api_key_object or api_key_data
  --quiet                      no request log on stderr
  --help                       this text
)";

std::optional<long long> to_int(std::string_view s, long long lo, long long hi) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "fluxloop-platform: %s\n(try --help)\n", message.c_str());
  return 2;
}
}  // namespace

std::variant<Options, int> parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    bool has_inline = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline = true;
    }
    auto take = [&](std::string& out) -> bool {
      if (has_inline) {
        out = value;
        return true;
      }
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    auto take_int = [&](long long lo, long long hi, long long& out) -> bool {
      std::string s;
      if (!take(s)) return false;
      auto v = to_int(s, lo, hi);
      if (!v) return false;
      out = *v;
      return true;
    };
    long long n = 0;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--cert") {
      if (!take(o.cert)) return usage_error("--cert needs a file");
    } else if (arg == "--key") {
      if (!take(o.key)) return usage_error("--key needs a file");
    } else if (arg == "--host") {
      if (!take(o.host)) return usage_error("--host needs an address");
    } else if (arg == "--port") {
      if (!take_int(0, 65535, n)) return usage_error("--port needs a number 0-65535");
      o.port = static_cast<unsigned short>(n);
    } else if (arg == "--port-file") {
      if (!take(o.port_file)) return usage_error("--port-file needs a file");
    } else if (arg == "--token-lifetime") {
      if (!take_int(1, 10LL * 365 * 86400, n)) return usage_error("--token-lifetime needs seconds >= 1");
      o.config.token_lifetime = std::chrono::seconds(n);
    } else if (arg == "--refresh-token-lifetime") {
      if (!take_int(0, 10LL * 365 * 86400, n)) return usage_error("--refresh-token-lifetime needs seconds >= 0");
      o.config.refresh_token_lifetime = std::chrono::seconds(n);
    } else if (arg == "--no-rotate") {
      o.config.rotate = false;
    } else if (arg == "--auto-approve") {
      o.config.auto_approve = true;
    } else if (arg == "--no-auto-approve") {
      o.config.auto_approve = false;
    } else if (arg == "--device-interval") {
      if (!take_int(0, 3600, n)) return usage_error("--device-interval needs seconds 0-3600");
      o.config.device_interval = std::chrono::seconds(n);
    } else if (arg == "--device-approve-after-polls") {
      if (!take_int(0, 1000000, n)) return usage_error("--device-approve-after-polls needs a number >= 0");
      o.config.device_approve_after_polls = static_cast<int>(n);
    } else if (arg == "--user-email") {
      if (!take(o.config.user_email) || o.config.user_email.empty()) return usage_error("--user-email needs an address");
    } else if (arg == "--cli-connect-interval") {
      if (!take_int(0, 3600, n)) return usage_error("--cli-connect-interval needs seconds 0-3600");
      o.config.cli_connect_interval = std::chrono::seconds(n);
    } else if (arg == "--cli-connect-spelling") {
      std::string s;
      auto v = take(s) ? enum_from_name<StartSpelling>(kStartSpellingNames, s) : std::nullopt;
      if (!v) return usage_error("--cli-connect-spelling needs plain or sec");
      o.config.cli_connect_spelling = *v;
    } else if (arg == "--no-cli-connect-auto-approve") {
      o.config.cli_connect_auto_approve = false;
    } else if (arg == "--api-key-shape") {
      std::string s;
      auto v = take(s) ? enum_from_name<KeyShape>(kKeyShapeNames, s) : std::nullopt;
      if (!v) return usage_error("--api-key-shape needs key, api_key, api_key_object or api_key_data");
      o.config.api_key_shape = *v;
    } else if (arg == "--quiet") {
      o.quiet = true;
    } else {
      return usage_error("unknown argument: " + arg);
    }
  }
  if (o.cert.empty() || o.key.empty()) return usage_error("--cert and --key are required");
  return o;
}

}  // namespace platform
