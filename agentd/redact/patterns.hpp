// The redaction patterns: the built-ins (`email`, `api_key`, `phone`) and custom regexes of
// config.json `sanitization.patterns`, compiled with PCRE2 in byte mode (any input bytes, no UTF).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agentd/config/config.hpp"
#include "proto/result.hpp"

namespace agentd::redact {

// Names of the built-in patterns, usable in `sanitization.patterns` without a regex.
inline constexpr std::string_view kBuiltinNames[] = {"email", "api_key", "phone"};

// What `fluxloop redact` applies when config.json lists no patterns: every built-in.
std::vector<config::SanitizationPattern> default_patterns();

// "[REDACTED:<name>]": the replacement of a pattern that names none.
std::string default_replacement(std::string_view name);

// One match of pattern number `rule`: text[begin, end), never empty.
struct PatternMatch {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t rule = 0;
};

class PatternSet {
 public:
  // Compiles every pattern (empty regex: the built-in of that name). Errors name the pattern and what
  // is wrong (unknown built-in, regex syntax with its offset, a replacement or regex too long).
  static proto::Result<std::unique_ptr<PatternSet>> compile(const std::vector<config::SanitizationPattern>& patterns);
  ~PatternSet();
  PatternSet(const PatternSet&) = delete;
  PatternSet& operator=(const PatternSet&) = delete;

  // Appends the leftmost non-overlapping matches of each pattern in `text` (patterns may overlap each
  // other; the caller merges them). A pattern that exceeds its match limit on this text (catastrophic
  // backtracking) is an invalid_argument error naming it.
  proto::Status find(std::string_view text, std::vector<PatternMatch>& out);

  std::size_t size() const;
  const std::string& name(std::size_t rule) const;
  const std::string& replacement(std::size_t rule) const;
  // The patterns as configured (after defaults), to tell whether a new configuration differs.
  const std::vector<config::SanitizationPattern>& source() const { return source_; }

 private:
  struct Compiled;
  PatternSet() = default;
  std::vector<config::SanitizationPattern> source_;
  std::vector<std::unique_ptr<Compiled>> rules_;
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace agentd::redact
