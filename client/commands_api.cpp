#include "client/commands_api.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include <nlohmann/json.hpp>

#include "client/output.hpp"

namespace client {
namespace {

constexpr std::array<std::string_view, 6> kMethods{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
constexpr std::size_t kMaxDescription = 300;

// error_description (else error) of a platform error body, printable ASCII only and bounded: the
// body comes from a server.
std::string error_text(const std::string& body) {
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return {};
  std::string text;
  for (const char* field : {"error_description", "error"}) {
    if (auto it = json.find(field); it != json.end() && it->is_string() && !it->get<std::string>().empty()) {
      text = it->get<std::string>();
      break;
    }
  }
  for (auto& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  }
  if (text.size() > kMaxDescription) text = text.substr(0, kMaxDescription) + "...";
  return text;
}

}  // namespace

int exit_code_for_status(std::int64_t status) {
  if (status >= 200 && status < 300) return proto::kExitOk;
  if (status == 401) return proto::kExitLoginRequired;
  if (status == 403) return proto::kExitPermissionDenied;
  if (status == 429 || status >= 500) return proto::kExitNetwork;
  return proto::kExitError;
}

std::string describe_status(std::int64_t status, const std::string& body) {
  const std::string detail = error_text(body);
  std::string line = "HTTP " + std::to_string(status);
  if (status == 401) line += ": Login required";
  else if (status == 403) line += ": Permission denied";
  else if (status == 404) line += ": not found";
  else if (status == 429 || status >= 500) line += ": the platform is unavailable";
  if (!detail.empty()) line += ": " + detail;
  if (status == 401) line += " (check the credential: `fluxloop auth status`, or log in again with `fluxloop auth login`)";
  return line;
}

int api(App& app, const ApiOptions& options) {
  std::string method = options.method;
  std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (std::find(kMethods.begin(), kMethods.end(), method) == kMethods.end()) {
    return report(Failure{proto::kExitUsage, "unsupported method '" + options.method + "': use GET, HEAD, POST, PUT, PATCH or DELETE"});
  }
  if (options.path.empty() || options.path.front() != '/') {
    return report(Failure{proto::kExitUsage, "PATH must start with '/' (e.g. /v1/me)"});
  }
  if (!options.data.empty() && !nlohmann::json::accept(options.data)) {
    return report(Failure{proto::kExitUsage, "--data is not valid JSON"});
  }
  auto target = apikeys_target(options.common, app.env());
  if (!target) return report(target.error());
  proto::ApiRequest request{.target = std::move(*target), .method = method, .path = options.path, .body = options.data};
  auto reply = app.call(request);
  if (!reply) return report(reply.error());
  if (!reply->body.empty()) print_value(reply->body);
  const int code = exit_code_for_status(reply->status);
  if (code != proto::kExitOk) note(describe_status(reply->status, reply->body));
  return code;
}

}  // namespace client
