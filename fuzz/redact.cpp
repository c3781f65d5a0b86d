// The redactor (agentd/redact): the built-in patterns or a custom regex from the input, a few held
// secrets, and a text streamed in reads of fuzzed sizes as `fluxloop redact` sends it. Checked: the
// streaming contract (progress, bounded output), no held secret survives, and with the built-in
// patterns the streamed output passes the same bytes as one call over the whole text.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "agentd/redact/redactor.hpp"
#include "fuzz/check.hpp"

namespace {

using agentd::redact::Final;
using agentd::redact::Redactor;

constexpr std::array<std::string_view, 4> kLabels{"access_token", "refresh_token", "api_key", "passphrase"};
constexpr std::size_t kMaxSecrets = 4;
constexpr std::size_t kMaxSecretLength = 64;
constexpr std::size_t kMaxReads = 3;
constexpr std::size_t kMinRead = 128;  // 1-byte reads cost a full pass each and only slow the fuzzer
constexpr std::size_t kMaxRead = 6000;

// The client's loop (client/commands_redact.cpp): a bounded buffer, the undecided rest sent again.
std::optional<std::string> stream(Redactor& r, std::string_view input, const std::vector<std::size_t>& reads) {
  std::string output, buffer;
  std::size_t offset = 0, turn = 0;
  for (;;) {
    if (offset < input.size()) {
      const std::size_t want =
          std::min({reads[turn++ % reads.size()], input.size() - offset, proto::kMaxRedactInput - buffer.size()});
      buffer.append(input.substr(offset, want));
      offset += want;
    }
    const bool final = offset == input.size();
    if (buffer.empty()) {
      if (final) return output;
      continue;
    }
    auto chunk = r.redact(buffer, final ? Final::yes : Final::no);
    if (!chunk) {
      FUZZ_CHECK(fuzz::printable_message(chunk.error().message));
      return std::nullopt;  // a custom pattern hit its match limit: reported, fine
    }
    FUZZ_CHECK(chunk->data.size() <= proto::kMaxRedactOutput);
    FUZZ_CHECK(chunk->consumed <= buffer.size());
    // Progress whenever the client could not send more: at the end, or with a full buffer.
    FUZZ_CHECK(chunk->consumed > 0 || (!final && buffer.size() < proto::kMaxRedactInput));
    output += chunk->data;
    buffer.erase(0, chunk->consumed);
  }
}

std::size_t longest_line(std::string_view text) {
  std::size_t longest = 0;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    longest = std::max(longest, end - start);
    start = end + 1;
  }
  return longest;
}

// Every replacement text becomes one '\x01', and runs of them one.
std::string collapse_masks(std::string text, const std::vector<std::string>& replacements) {
  for (const auto& r : replacements) {
    for (std::size_t at = text.find(r); at != std::string::npos; at = text.find(r, at + 1)) text.replace(at, r.size(), "\x01");
  }
  std::string out;
  for (char c : text) {
    if (c == '\x01' && !out.empty() && out.back() == '\x01') continue;
    out += c;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<std::string> values;
  const std::size_t count = in.ConsumeIntegralInRange<std::size_t>(0, kMaxSecrets);
  for (std::size_t i = 0; i < count; ++i) values.push_back(in.ConsumeRandomLengthString(kMaxSecretLength));
  std::vector<agentd::redact::HeldSecret> secrets;
  for (std::size_t i = 0; i < values.size(); ++i) secrets.push_back({values[i], kLabels[i % kLabels.size()]});

  std::vector<agentd::config::SanitizationPattern> patterns;
  const bool custom = in.ConsumeBool();
  if (custom) {
    patterns.push_back({"custom", in.ConsumeRandomLengthString(128), ""});
    if (in.ConsumeBool()) patterns.push_back({"email", "", ""});
  }
  std::vector<std::size_t> reads;
  const std::size_t read_count = in.ConsumeIntegralInRange<std::size_t>(1, kMaxReads);
  for (std::size_t i = 0; i < read_count; ++i) reads.push_back(in.ConsumeIntegralInRange<std::size_t>(kMinRead, kMaxRead));
  const std::string text = in.ConsumeRemainingBytesAsString();

  auto created = Redactor::create(secrets, patterns);
  if (!created) {
    FUZZ_CHECK(fuzz::printable_message(created.error().message));
    return 0;
  }
  Redactor& redactor = **created;
  FUZZ_CHECK(redactor.built_from(secrets, patterns));
  const auto streamed = stream(redactor, text, reads);
  if (!streamed) return 0;

  static const bool debug = std::getenv("FUZZ_DEBUG") != nullptr;  // prints what went wrong
  // Every replacement is "[…]": a secret without brackets that is not part of a replacement's text
  // can only appear in the output if some of the input passed through unmasked.
  std::vector<std::string> replacements;
  for (const auto& s : secrets) replacements.push_back(agentd::redact::default_replacement(s.label));
  for (const auto& p : patterns.empty() ? agentd::redact::default_patterns() : patterns) {
    replacements.push_back(p.replacement.empty() ? agentd::redact::default_replacement(p.name) : p.replacement);
  }
  for (const auto& s : values) {
    if (s.empty() || s.size() > agentd::redact::kPatternWindow || s.find_first_of("[]") != std::string::npos) continue;
    if (std::any_of(replacements.begin(), replacements.end(), [&](const std::string& r) { return r.find(s) != std::string::npos; })) {
      continue;
    }
    if (debug && streamed->find(s) != std::string::npos) {
      const auto at = streamed->find(s);
      std::fprintf(stderr, "leaked secret (%zu bytes) [%s] at %zu of %zu, window %zu, reads", s.size(), s.c_str(), at,
                   streamed->size(), redactor.window());
      for (auto r : reads) std::fprintf(stderr, " %zu", r);
      std::fprintf(stderr, "\ncontext: [%s]\n", streamed->substr(at > 80 ? at - 80 : 0, 200).c_str());
    }
    FUZZ_CHECK(streamed->find(s) == std::string::npos);
  }
  if (!custom && longest_line(text) <= redactor.window()) {
    // Within a line longer than the window the cut may fall where no blank is near, and a pattern's
    // boundary then differs from the whole text's (docs/redact.md): the comparison holds for the rest.
    // Streaming may show two adjacent masks where one call over the whole text merged them into one;
    // the bytes that pass through must be the same.
    auto whole = redactor.redact(text, Final::yes, static_cast<std::size_t>(-1));
    FUZZ_CHECK(whole.ok() && whole->consumed == text.size());
    if (debug) std::fprintf(stderr, "whole:    [%s]\nstreamed: [%s]\n", whole->data.c_str(), streamed->c_str());
    FUZZ_CHECK(collapse_masks(whole->data, replacements) == collapse_masks(*streamed, replacements));
  }
  return 0;
}
