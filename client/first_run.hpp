// What `fluxloop` with no command says to someone who has set nothing up yet.
#pragma once

#include <string>

#include "client/app.hpp"

namespace client {

// "nothing is set up yet: run `fluxloop auth login` …" when the agent holds no profile, or when no
// agent answers and FLUXLOOP_HOME has neither config.json profiles nor a credentials file; "" otherwise
// (including when that cannot be told). Never starts an agent.
std::string first_run_hint(App& app);

}  // namespace client
