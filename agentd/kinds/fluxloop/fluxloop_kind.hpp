// Profiles of kind fluxloop: the FluxLoop platform's own CLI connect login and refresh
// (cli_connect.hpp), no revocation at the platform, project-scoped API keys under /api/api-keys.
// Credentials are bound to the API endpoint they arrived from: refreshes go there only.
#pragma once

#include <memory>

#include "agentd/kinds/kind.hpp"

namespace agentd::kinds::fluxloop {

std::unique_ptr<ProfileKind> make_kind(const Services& services);

}  // namespace agentd::kinds::fluxloop
