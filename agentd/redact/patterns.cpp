#include "agentd/redact/patterns.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>

namespace agentd::redact {
namespace {

// Bounds on what config.json may ask for: the agent runs every pattern on every chunk on its one
// thread, so a configuration must not be able to stall it.
constexpr std::size_t kMaxPatterns = 64;
constexpr std::size_t kMaxRegexLength = 4096;
constexpr std::size_t kMaxReplacementLength = 256;
constexpr std::size_t kMaxNameLength = 64;
// Backtracking steps one search may take (PCRE2 match limit; JIT honours it too). The built-ins stay
// far below it on any input; a pathological custom regex fails with an error instead of spinning.
constexpr std::uint32_t kMatchLimit = 5'000'000;
constexpr std::uint32_t kHeapLimitKiB = 8 * 1024;  // interpreter backtracking memory, per search
constexpr std::size_t kJitStackStart = 32 * 1024;
constexpr std::size_t kJitStackMax = 512 * 1024;
// Phone numbers have 7 to 15 digits (E.164 allows 15); fewer or more is some other number.
constexpr int kPhoneMinDigits = 7;
constexpr int kPhoneMaxDigits = 15;

// The built-ins. Each starts with a negative lookbehind on its own characters, so a search tries a
// start position only at the beginning of a run: linear time on long runs (a base64 blob, a long
// word), where an unanchored `[chars]+@` would retry at every offset and go quadratic.
constexpr std::string_view kEmailRegex =
    R"((?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)++[A-Za-z]{2,63})";
// flx_ keys and tokens: the known prefixes with at least 6 more characters, or any flx_ string of
// 16 or more (a bare random token).
constexpr std::string_view kApiKeyRegex =
    R"((?<![A-Za-z0-9_])flx_(?:(?:api|sa|at|refresh)_[A-Za-z0-9_-]{6,}+|[A-Za-z0-9_-]{16,}+))";
// International (+CC …) or North American ((555) 123-4567, 555-123-4567, 1-800-555-1234) numbers.
// Bare digit runs are not phone numbers here (timestamps, ids), nor are dates (2024-11-02).
constexpr std::string_view kPhoneRegex =
    R"((?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,5}|(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[.-])\d{3}[.-]\d{4})(?!\w))";

enum class Check { none, phone_digits };

struct Builtin {
  std::string_view name;
  std::string_view regex;
  Check check;
};
constexpr Builtin kBuiltins[] = {
    {"email", kEmailRegex, Check::none},
    {"api_key", kApiKeyRegex, Check::none},
    {"phone", kPhoneRegex, Check::phone_digits},
};
static_assert(std::size(kBuiltins) == std::size(kBuiltinNames));

const Builtin* builtin(std::string_view name) {
  for (const Builtin& b : kBuiltins) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

bool passes(Check check, std::string_view match) {
  if (check == Check::none) return true;
  const auto digits = std::count_if(match.begin(), match.end(), [](char c) { return c >= '0' && c <= '9'; });
  return digits >= kPhoneMinDigits && digits <= kPhoneMaxDigits;
}

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  if (pcre2_get_error_message(code, buffer, sizeof buffer) < 0) return "error " + std::to_string(code);
  return reinterpret_cast<const char*>(buffer);
}

proto::Error bad_pattern(const std::string& name, const std::string& what) {
  return proto::Error{proto::ErrorCode::invalid_argument,
                      "sanitization pattern '" + name + "' in config.json: " + what};
}

}  // namespace

std::vector<config::SanitizationPattern> default_patterns() {
  std::vector<config::SanitizationPattern> out;
  for (const Builtin& b : kBuiltins) out.push_back({std::string(b.name), {}, {}});
  return out;
}

std::string default_replacement(std::string_view name) { return "[REDACTED:" + std::string(name) + "]"; }

struct PatternSet::Compiled {
  std::string name;
  std::string replacement;
  Check check = Check::none;
  pcre2_code* code = nullptr;
  pcre2_match_data* match = nullptr;
  ~Compiled() {
    pcre2_match_data_free(match);
    pcre2_code_free(code);
  }
};

struct PatternSet::Context {
  pcre2_match_context* match = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;
  ~Context() {
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_context_free(match);
  }
};

PatternSet::~PatternSet() = default;

proto::Result<std::unique_ptr<PatternSet>> PatternSet::compile(const std::vector<config::SanitizationPattern>& patterns) {
  std::unique_ptr<PatternSet> set(new PatternSet());
  set->source_ = patterns.empty() ? default_patterns() : patterns;
  if (set->source_.size() > kMaxPatterns) {
    return proto::Error{proto::ErrorCode::invalid_argument, "config.json lists " + std::to_string(set->source_.size()) +
                                                                " sanitization patterns; at most " +
                                                                std::to_string(kMaxPatterns) + " are allowed"};
  }
  set->context_ = std::make_unique<Context>();
  set->context_->match = pcre2_match_context_create(nullptr);
  if (!set->context_->match) return proto::Error{proto::ErrorCode::internal, "out of memory compiling the patterns"};
  pcre2_set_match_limit(set->context_->match, kMatchLimit);
  pcre2_set_heap_limit(set->context_->match, kHeapLimitKiB);
  set->context_->jit_stack = pcre2_jit_stack_create(kJitStackStart, kJitStackMax, nullptr);
  if (set->context_->jit_stack) pcre2_jit_stack_assign(set->context_->match, nullptr, set->context_->jit_stack);

  for (const auto& pattern : set->source_) {
    const std::string& name = pattern.name;
    if (name.empty() || name.size() > kMaxNameLength) {
      return proto::Error{proto::ErrorCode::invalid_argument,
                          "a sanitization pattern in config.json has an empty or over-long name (1-64 characters)"};
    }
    auto rule = std::make_unique<Compiled>();
    rule->name = name;
    std::string_view regex = pattern.regex;
    if (regex.empty()) {
      const Builtin* b = builtin(name);
      if (!b) return bad_pattern(name, "no regex given and no built-in pattern has this name (built-ins: email, api_key, phone)");
      regex = b->regex;
      rule->check = b->check;
    }
    if (regex.size() > kMaxRegexLength) return bad_pattern(name, "the regex is longer than 4096 characters");
    if (pattern.replacement.size() > kMaxReplacementLength) {
      return bad_pattern(name, "the replacement is longer than 256 characters");
    }
    rule->replacement = pattern.replacement.empty() ? default_replacement(name) : pattern.replacement;

    int error = 0;
    PCRE2_SIZE offset = 0;
    // NEVER_UTF: a pattern cannot switch on UTF mode with (*UTF), which would make non-UTF-8 input an
    // error; the input is bytes. NEVER_BACKSLASH_C: \C has no use in byte mode and is a footgun.
    rule->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(regex.data()), regex.size(),
                               PCRE2_NEVER_UTF | PCRE2_NEVER_BACKSLASH_C, &error, &offset, nullptr);
    if (!rule->code) {
      return bad_pattern(name, "invalid regex at offset " + std::to_string(offset) + ": " + pcre2_message(error));
    }
    // JIT is an optimisation only: where it is unavailable the interpreter gives the same matches.
    (void)pcre2_jit_compile(rule->code, PCRE2_JIT_COMPLETE);
    rule->match = pcre2_match_data_create_from_pattern(rule->code, nullptr);
    if (!rule->match) return proto::Error{proto::ErrorCode::internal, "out of memory compiling the patterns"};
    set->rules_.push_back(std::move(rule));
  }
  return set;
}

proto::Status PatternSet::find(std::string_view text, std::vector<PatternMatch>& out) {
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  for (std::size_t index = 0; index < rules_.size(); ++index) {
    Compiled& rule = *rules_[index];
    PCRE2_SIZE start = 0;
    while (start <= text.size()) {
      const int rc = pcre2_match(rule.code, subject, text.size(), start, 0, rule.match, context_->match);
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) {
        const bool limit = rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
                           rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
        return bad_pattern(rule.name, limit ? "the regex backtracks too much on this input (" + pcre2_message(rc) +
                                                  "); make it more specific (bounded repeats, anchors)"
                                            : "matching failed: " + pcre2_message(rc));
      }
      const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(rule.match);
      const std::size_t begin = ovector[0], end = ovector[1];
      if (end <= begin || begin < start) {
        // An empty match masks nothing (and \K could put the start before the search offset):
        // search on from the next byte.
        start = std::max<std::size_t>(start, end) + 1;
        continue;
      }
      if (!passes(rule.check, text.substr(begin, end - begin))) {
        start = begin + 1;
        continue;
      }
      out.push_back(PatternMatch{begin, end, index});
      start = end;
    }
  }
  return proto::Ok{};
}

std::size_t PatternSet::size() const { return rules_.size(); }
const std::string& PatternSet::name(std::size_t rule) const { return rules_[rule]->name; }
const std::string& PatternSet::replacement(std::size_t rule) const { return rules_[rule]->replacement; }

}  // namespace agentd::redact
