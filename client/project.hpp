// The FluxLoop project an API-key command acts on (fluxloop profiles' keys are per project):
// --project-id, else `project_id` in the workspace's .fluxloop/project.json (the file the platform
// CLI's `projects select` writes, found as the platform CLI finds it), else none.
#pragma once

#include <string>

#include "client/outcome.hpp"

namespace client {

// The project.json of the workspace around `working_directory` (absolute): that of the nearest
// directory, itself or a parent, holding a .fluxloop directory, skipping `home_directory` (whose
// ~/.fluxloop is the platform CLI's global one, as in its find_workspace_root). "" when none.
std::string workspace_project_file(const std::string& working_directory, const std::string& home_directory);

// "" when neither gives one. A project.json that exists but cannot be read, is not JSON, has no
// string project_id or belongs to another user is an error (exit 1) naming the file: a selection is
// never ignored silently.
Outcome<std::string> project_id_of(const std::string& project_id_flag, const std::string& working_directory,
                                   const std::string& home_directory);

}  // namespace client
