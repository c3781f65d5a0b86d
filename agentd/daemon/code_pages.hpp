// Resident code pages of an idle agent: what start-up faulted in, given back once it serves.
#pragma once

#include <cstddef>

namespace agentd::daemon {

// Drops (MADV_DONTNEED) the resident pages of every private, read-only, file-backed mapping that
// holds no written page (code, read-only data and relocation tables of the agent and its libraries):
// they come back unchanged from the page cache when next used. Returns the number of mappings
// trimmed. Call once start-up is over.
std::size_t trim_code_pages() noexcept;

}  // namespace agentd::daemon
