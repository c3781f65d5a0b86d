// `fluxloop redact`: a stdin -> stdout filter that masks secrets and sensitive patterns (docs/redact.md).
// The agent does the masking (it holds the secrets); the client never receives a secret.
#pragma once

#include "client/app.hpp"

namespace client {

// Streams stdin through the agent in chunks (bounded buffer, any bytes) and writes the redacted
// bytes to stdout as they are decided. 0 at end of input; agent errors exit as elsewhere.
int redact(App& app);

}  // namespace client
