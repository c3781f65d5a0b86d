// `config set api_key_file PATH`: the agent checks the file once when it is set; the client, which
// reads it (CONTRACT.md precedence), checks it again on every use.
#pragma once

#include <string>

#include "proto/result.hpp"

namespace agentd::lock {

// Ok when `path` is absolute and names an existing regular file owned by this user with no group or
// other permissions (chmod 600). The error names the file and the fix; it never quotes the contents.
proto::Status validate_api_key_file(const std::string& path);

}  // namespace agentd::lock
