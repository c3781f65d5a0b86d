// fluxloop-keyring-helper: the agent's Secret Service calls, in a process of their own (docs/security.md
// "Helper processes"), so that libsecret, GLib and GIO never load into the agent and a call wedged on
// a silent bus is ended by killing this process. Started by the agent with one end of a socketpair as
// stdin; answers framed JSON requests (agentd/helpers/wire.hpp) one at a time, in order. Exits on EOF
// or after kIdle without a request.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "agentd/helpers/wire.hpp"
#include "agentd/keyring_helper/secret_service.hpp"
#include "agentd/util/json_wipe.hpp"
#include "proto/base64.hpp"
#include "proto/mask.hpp"

namespace {

namespace helpers = agentd::helpers;
namespace keyring = agentd::keyring_helper;
using nlohmann::json;

// Without a request for this long the helper exits; the agent starts another for its next call
// (and takes one it has not used for kKeyringHelperStale as gone: store/keyring_store.hpp).
constexpr std::chrono::milliseconds kIdle{30'000};

json answer(json& request) {
  const std::string op = request.value("op", "");
  const int timeout_ms = request.value("timeout_ms", 5000);
  proto::Status status = proto::Ok{};
  json out = {{"ok", true}};
  if (op == "probe") {
    status = keyring::probe(timeout_ms);
  } else if (op == "load") {
    auto items = keyring::load(timeout_ms);
    if (items) {
      json list = json::array();
      for (auto& item : *items) {
        list.push_back({{"profile", item.profile}, {"modified", item.modified}, {"secret", proto::base64_encode(item.secret)}});
        proto::wipe(item.secret);
      }
      out["items"] = std::move(list);
    } else {
      status = std::move(items).error();
    }
  } else if (op == "save" || op == "erase") {
    const std::string profile = request.value("profile", "");
    if (op == "erase") {
      status = keyring::erase(timeout_ms, profile);
    } else {
      auto secret = proto::base64_decode(request.value("secret", ""));
      if (!secret) return {{"ok", false}, {"message", "malformed request to the keyring helper"}};
      status = keyring::save(timeout_ms, profile, *secret);
      proto::wipe(*secret);
    }
  } else {
    return {{"ok", false}, {"message", "unknown request to the keyring helper"}};
  }
  if (!status) return {{"ok", false}, {"message", status.error().message}};
  return out;
}

}  // namespace

int main() {
  if (!helpers::start_helper("fluxloop-keyring-helper")) return 2;
  for (;;) {
    pollfd wait{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&wait, 1, static_cast<int>(kIdle.count()));
    if (ready == 0) break;  // idle
    if (ready < 0) continue;
    auto request = helpers::read_frame_blocking(STDIN_FILENO);
    if (!request) break;  // EOF: the agent is done with us
    agentd::util::JsonWiper wipe_request{*request};
    json reply = answer(*request);
    reply["id"] = request->value("id", json());
    std::string frame = helpers::encode_frame(reply);
    agentd::util::wipe_json(reply);
    const bool sent = helpers::write_frame_blocking(STDIN_FILENO, frame);
    proto::wipe(frame);
    if (!sent) break;
  }
  std::fflush(nullptr);
  // GLib's threads may be inside a call that never returns (a silent bus): end without unwinding.
  ::_exit(0);
}
