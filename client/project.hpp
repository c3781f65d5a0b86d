// The FluxLoop project an API-key command acts on (fluxloop profiles' keys are per project):
// --project-id, else `project_id` in the working directory's .fluxloop/project.json (the file the
// platform CLI's `projects select` writes), else none.
#pragma once

#include <string>

#include "client/outcome.hpp"

namespace client {

// "" when neither gives one. A project.json that exists but cannot be read, is not JSON or has no
// string project_id is an error (exit 1) naming the file: a selection is never ignored silently.
Outcome<std::string> project_id_of(const std::string& project_id_flag, const std::string& working_directory);

}  // namespace client
