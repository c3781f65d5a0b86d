// The emulator's logic behind a small facade, so the Beast/SSL translation unit (main.cpp) does not
// have to parse nlohmann/json or the state machine's internals.
#pragma once

#include <memory>

#include "tests/platform/config.hpp"
#include "tests/platform/http_types.hpp"

namespace platform {

class Platform;

class Emulator {
 public:
  explicit Emulator(Config config);
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Handles one request, applying a pending injected fault first (see Outcome::Action).
  Outcome handle(const HttpRequest& req);
  // Handles one request ignoring injected faults; used after a "delay" fault's wait.
  HttpResponse handle_without_faults(const HttpRequest& req);
  // Counts an accepted TCP connection in the stats.
  void note_connection();

 private:
  std::unique_ptr<Platform> impl_;
};

}  // namespace platform
