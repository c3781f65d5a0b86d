// Wiping parsed JSON documents that hold secrets (credentials files, CLI-connect answers, auth.json).
#pragma once

#include <string>

#include "proto/mask.hpp"

namespace agentd::util {

// Overwrites every string of a parsed document in place (nlohmann::json or ordered_json): the tree
// holds copies of tokens, and the library frees them without clearing.
template <typename Json>
void wipe_json(Json& value) noexcept {
  if (value.is_string()) {
    proto::wipe(value.template get_ref<std::string&>());
  } else if (value.is_structured()) {
    for (auto& child : value) wipe_json(child);
  }
}

// Wipes the document when it goes out of scope, whichever way the function leaves.
template <typename Json>
struct JsonWiper {
  Json& tree;
  ~JsonWiper() { wipe_json(tree); }
};
template <typename Json>
JsonWiper(Json&) -> JsonWiper<Json>;  // clang 14 (the fuzz build) has no aggregate deduction

}  // namespace agentd::util
