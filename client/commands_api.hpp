// `fluxloop api METHOD PATH [--data JSON]`: one authenticated request to the platform API made by the
// agent (the client never sees the token), like `gh api` (docs/apikeys.md).
#pragma once

#include <string>

#include "client/app.hpp"
#include "client/commands_apikeys.hpp"

namespace client {

struct ApiOptions {
  ApiKeysCommon common;  // --profile, --api-key (json is unused: the body is printed as is)
  std::string method;    // GET, HEAD, POST, PUT, PATCH, DELETE (any case)
  std::string path;      // starts with '/'
  std::string data;      // --data JSON (validated here: invalid JSON is a usage error)
};

// The exit code for an HTTP status: 2xx 0, 401 3, 403 5, 429 and 5xx 6, anything else 1.
int exit_code_for_status(std::int64_t status);
// The stderr line for a non-2xx answer: "HTTP 403: Permission denied: <error_description>".
std::string describe_status(std::int64_t status, const std::string& body);

// Prints the body on stdout (whatever the status) and returns the exit code for the status.
int api(App& app, const ApiOptions& options);

}  // namespace client
