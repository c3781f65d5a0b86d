// The JSON token parsers (agentd/oauth/tokens.*): token, device authorization and device poll
// responses from an OAuth server, and the e-mail claim of an ID token. Byte 0 picks the status.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "agentd/oauth/tokens.hpp"
#include "fuzz/check.hpp"

namespace {

constexpr std::array kStatuses{200, 200, 200, 200, 400, 401, 403, 429, 500, 503};

bool partial_secret = false;  // the body holds a cut-off copy of the secret: no mask can apply

void check_message(const std::string& message) {
  FUZZ_CHECK(fuzz::printable_message(message));
  FUZZ_CHECK(partial_secret || message.find(fuzz::kSecretPart) == std::string::npos);
}

void check_email(const std::optional<std::string>& email) {
  if (!email) return;
  FUZZ_CHECK(!email->empty() && email->size() <= 320);
  FUZZ_CHECK(fuzz::printable_message(*email));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  agentd::http::Response response;
  response.status = kStatuses[data[0] % kStatuses.size()];
  response.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::array<std::string_view, 1> secrets{fuzz::kSecret};
  partial_secret = fuzz::holds_partial_secret(response.body);

  auto tokens = agentd::oauth::parse_token_response(response, "token refresh", secrets);
  if (!tokens) {
    check_message(tokens.error().message);
  } else {
    FUZZ_CHECK(!tokens->access_token.empty());
    if (tokens->expires_in) FUZZ_CHECK(tokens->expires_in->count() >= 0);
    check_email(agentd::oauth::email_from_id_token(tokens->id_token));
  }
  // The device authorization request carries no secret: only the printable rule applies.
  auto device = agentd::oauth::parse_device_authorization(response, "device login");
  if (!device) {
    FUZZ_CHECK(fuzz::printable_message(device.error().message));
  } else {
    FUZZ_CHECK(device->expires_in.count() > 0 && device->interval.count() > 0);
    FUZZ_CHECK(device->verification_uri.starts_with("https://"));
  }
  auto poll = agentd::oauth::parse_device_poll(response, "device login", secrets);
  if (!poll) check_message(poll.error().message);
  else FUZZ_CHECK(poll->tokens.has_value() == (poll->state == agentd::oauth::DevicePollState::success));
  check_email(agentd::oauth::email_from_id_token(response.body));
  return 0;
}
