// Helpers for the redaction unit tests: a client-like streaming loop over a Redactor.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "agentd/redact/redactor.hpp"

namespace redacttest {

using agentd::redact::Final;
using agentd::redact::HeldSecret;
using agentd::redact::Redactor;

inline std::unique_ptr<Redactor> make(const std::vector<HeldSecret>& secrets,
                                      const std::vector<agentd::config::SanitizationPattern>& patterns = {}) {
  auto r = Redactor::create(secrets, patterns);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  return std::move(*r);
}

// What `fluxloop redact` does: reads `input` in pieces of the given sizes (cycled) into a bounded
// buffer, sends the buffer, keeps the undecided tail. Records the largest tail kept back.
struct Streamed {
  std::string output;
  std::size_t max_tail = 0;
  bool ok = true;
  std::string error;
};
inline Streamed stream(Redactor& r, std::string_view input, const std::vector<std::size_t>& reads,
                       std::size_t max_output = proto::kMaxRedactOutput) {
  Streamed s;
  std::string buffer;
  std::size_t offset = 0, turn = 0;
  for (;;) {
    const bool at_end = offset == input.size();
    if (!at_end) {
      const std::size_t want = std::min({reads[turn++ % reads.size()], input.size() - offset,
                                         proto::kMaxRedactInput - buffer.size()});
      buffer.append(input.substr(offset, want));
      offset += want;
    }
    const bool final = offset == input.size();
    if (buffer.empty()) {
      if (final) return s;
      continue;
    }
    auto chunk = r.redact(buffer, final ? Final::yes : Final::no, max_output);
    if (!chunk) {
      s.ok = false;
      s.error = chunk.error().message;
      return s;
    }
    if (chunk->data.size() > max_output || chunk->consumed > buffer.size() ||
        (chunk->consumed == 0 && (final || buffer.size() == proto::kMaxRedactInput))) {
      s.ok = false;
      s.error = "no progress or bad sizes";
      return s;
    }
    s.output += chunk->data;
    buffer.erase(0, chunk->consumed);
    s.max_tail = std::max(s.max_tail, buffer.size());
  }
}

// Redacts `input` in one final call (no output budget: the reference the streamed output must equal).
inline std::string whole(Redactor& r, std::string_view input) {
  auto chunk = r.redact(input, Final::yes, static_cast<std::size_t>(-1));
  REQUIRE_MESSAGE(chunk.ok(), (chunk.ok() ? "" : chunk.error().message));
  CHECK(chunk->consumed == input.size());
  return chunk->data;
}

}  // namespace redacttest
