// What the agent makes of an HTTP response (agentd/http/message.*, agentd/oauth/errors.*,
// agentd/platform/errors.*): Retry-After, WWW-Authenticate and error bodies of any status. The
// messages reach the user's terminal: never the secret the request carried, never a control character.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "agentd/http/message.hpp"
#include "agentd/oauth/errors.hpp"
#include "agentd/platform/errors.hpp"
#include "fuzz/check.hpp"

namespace {

constexpr std::array kStatuses{200, 201, 204, 301, 400, 401, 403, 404, 405, 409, 422, 429, 500, 502, 503, 504};

bool partial_secret = false;  // an input holds a cut-off copy of the secret: no mask can apply

void check_message(const std::string& message) {
  FUZZ_CHECK(fuzz::printable_message(message));
  FUZZ_CHECK(partial_secret || message.find(fuzz::kSecretPart) == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  agentd::http::Response response;
  response.status = in.ConsumeBool() ? in.PickValueInArray(kStatuses) : in.ConsumeIntegralInRange(0, 999);
  const std::string retry_after = in.ConsumeRandomLengthString(64);
  const std::string www_authenticate = in.ConsumeRandomLengthString(256);
  response.body = in.ConsumeRemainingBytesAsString();

  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  response.retry_after = agentd::http::parse_retry_after(retry_after, now);
  if (response.retry_after) {
    FUZZ_CHECK(*response.retry_after >= std::chrono::seconds(0));
    FUZZ_CHECK(*response.retry_after <= agentd::http::kMaxRetryAfter);
  }
  response.headers = {{"Retry-After", retry_after}, {"www-authenticate", www_authenticate}};
  FUZZ_CHECK(response.header("WWW-Authenticate") == www_authenticate);

  const std::array<std::string_view, 1> secrets{fuzz::kSecret};
  partial_secret = fuzz::holds_partial_secret(response.body) || fuzz::holds_partial_secret(www_authenticate);
  const std::string scope = agentd::platform::scope_from_www_authenticate(www_authenticate);
  check_message(scope);
  for (auto kind : {agentd::platform::CredentialKind::given, agentd::platform::CredentialKind::api_key,
                    agentd::platform::CredentialKind::oauth}) {
    const auto error = agentd::platform::map_error(response, "list API keys", {kind, "production"}, secrets);
    check_message(error.message);
  }
  const auto oauth_error = agentd::oauth::map_error_response(response, "token refresh", secrets);
  check_message(oauth_error.message);
  check_message(oauth_error.oauth_error);
  return 0;
}
