// Redaction of a byte stream in chunks (docs/redact.md): masks every secret the agent holds, exactly,
// and every match of the sanitization patterns. Stateless per chunk: redact() decides a prefix of its
// input and the caller sends the undecided rest again in front of the next chunk.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agentd/config/config.hpp"
#include "agentd/redact/patterns.hpp"
#include "agentd/redact/secret_matcher.hpp"
#include "proto/redact.hpp"
#include "proto/result.hpp"

namespace agentd::redact {

// A secret the agent holds and the label its mask shows: "access_token" gives "[REDACTED:access_token]".
// The value is only viewed: the Redactor keeps neither it nor a copy (only its automaton and a digest).
struct HeldSecret {
  std::string_view value;
  std::string_view label;
};

enum class Final { no, yes };

// The output for input[0, consumed).
struct Chunk {
  std::string data;
  std::size_t consumed = 0;
};

// Bytes of context a pattern match may span and still be caught across chunk boundaries, and the
// most the window grows for long secrets (a secret longer than that is caught only within a chunk).
inline constexpr std::size_t kPatternWindow = 2048;
inline constexpr std::size_t kMaxWindow = 16 * 1024;

class Redactor {
 public:
  // Compiles the patterns (empty: every built-in) and the secrets' automaton. Errors come from the
  // patterns (invalid regex, unknown built-in) and name the pattern.
  static proto::Result<std::unique_ptr<Redactor>> create(const std::vector<HeldSecret>& secrets,
                                                         const std::vector<config::SanitizationPattern>& patterns);
  ~Redactor();
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  // True when built from exactly these secrets (same values, labels, order) and patterns: a cached
  // Redactor can serve the next chunk.
  bool built_from(const std::vector<HeldSecret>& secrets, const std::vector<config::SanitizationPattern>& patterns) const;

  // Redacts the longest prefix of `input` it can decide: up to the last newline, else all but a
  // window() tail (less when a match straddles the cut: it waits for the next chunk); everything with
  // Final::yes. The output never exceeds `max_output` bytes (less input is consumed instead); bytes
  // outside matches pass unchanged. Errors: a custom pattern exceeded its match limit.
  proto::Result<Chunk> redact(std::string_view input, Final final, std::size_t max_output = proto::kMaxRedactOutput);

  // The tail kept back from a long line: max(kPatternWindow, longest secret), at most kMaxWindow.
  // The undecided rest is at most 2 * window() bytes.
  std::size_t window() const { return window_; }

 private:
  struct Hit {
    std::size_t begin, end;
    bool secret;
    std::size_t index;  // secret number or pattern rule
  };
  struct Span {
    std::size_t begin, end;
    const std::string* replacement;
    bool secret;
  };
  Redactor() = default;
  std::size_t decide(std::string_view input, Final final) const;

  std::unique_ptr<SecretMatcher> secrets_;
  std::unique_ptr<PatternSet> patterns_;
  std::vector<std::string> secret_masks_;  // "[REDACTED:<label>]" per secret
  std::string digest_;                     // SHA-256 over the secrets and labels (built_from)
  std::size_t window_ = kPatternWindow;
  std::size_t multiline_ = 0;              // longest secret holding a '\n' (0: none)
  // Scratch, kept between chunks to avoid reallocating.
  std::vector<SecretMatch> secret_hits_;
  std::vector<PatternMatch> pattern_hits_;
  std::vector<Hit> hits_;
  std::vector<Span> spans_;
};

}  // namespace agentd::redact
