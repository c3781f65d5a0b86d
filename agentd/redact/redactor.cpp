#include "agentd/redact/redactor.hpp"

#include <algorithm>

#include <openssl/evp.h>

namespace agentd::redact {
namespace {

// SHA-256 over length-prefixed (label, value) pairs: tells a changed set of secrets from the one a
// Redactor was built from without keeping a second copy of every secret in memory.
std::string digest_of(const std::vector<HeldSecret>& secrets) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int length = 0;
  bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1;
  auto feed = [&](std::string_view bytes) {
    const std::uint64_t size = bytes.size();
    ok = ok && EVP_DigestUpdate(ctx, &size, sizeof size) == 1 && EVP_DigestUpdate(ctx, bytes.data(), bytes.size()) == 1;
  };
  for (const auto& s : secrets) {
    feed(s.label);
    feed(s.value);
  }
  ok = ok && EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), &length) == 1;
  EVP_MD_CTX_free(ctx);
  // Should OpenSSL fail, an empty digest never equals a later one: the Redactor is rebuilt every time.
  out.resize(ok ? length : 0);
  return out;
}

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

}  // namespace

Redactor::~Redactor() = default;

proto::Result<std::unique_ptr<Redactor>> Redactor::create(const std::vector<HeldSecret>& secrets,
                                                          const std::vector<config::SanitizationPattern>& patterns) {
  auto compiled = PatternSet::compile(patterns);
  if (!compiled) return std::move(compiled).error();
  std::unique_ptr<Redactor> r(new Redactor());
  r->patterns_ = std::move(*compiled);
  std::vector<std::string_view> values;
  values.reserve(secrets.size());
  for (const auto& s : secrets) {
    values.push_back(s.value);
    if (s.value.find('\n') != std::string_view::npos) r->multiline_ = std::max(r->multiline_, s.value.size());
    r->secret_masks_.push_back(default_replacement(s.label));
  }
  r->secrets_ = std::make_unique<SecretMatcher>(values);
  r->digest_ = digest_of(secrets);
  r->window_ = std::clamp(r->secrets_->longest(), kPatternWindow, kMaxWindow);
  return r;
}

bool Redactor::built_from(const std::vector<HeldSecret>& secrets,
                          const std::vector<config::SanitizationPattern>& patterns) const {
  const auto& wanted = patterns.empty() ? default_patterns() : patterns;
  return wanted == patterns_->source() && !digest_.empty() && digest_of(secrets) == digest_;
}

std::size_t Redactor::decide(std::string_view input, Final final) const {
  const std::size_t n = input.size();
  if (final == Final::yes) return n;
  // Lines are decided whole: the built-in patterns never span a newline, and secrets rarely do.
  const std::size_t newline = input.rfind('\n');
  std::size_t cut = newline == std::string_view::npos ? 0 : newline + 1;
  // Nothing stops a secret from holding a newline: then the tail kept back must be able to hold all of
  // it but its first byte, or its start would be decided (and pass unmasked) before its end arrives.
  if (multiline_ > 0 && n - cut < multiline_ - 1) cut = n >= multiline_ - 1 ? n - (multiline_ - 1) : 0;
  if (n - cut > window_) {
    // A long line: keep back a window, enough for any secret or pattern match to arrive whole with
    // the next chunk. Cut after a blank when one is near, so the next chunk starts where a pattern's
    // lookbehind sees what it would in the whole text.
    cut = n - window_;
    const std::size_t lowest = cut > window_ ? cut - window_ : 0;
    for (std::size_t p = cut; p > lowest; --p) {
      if (blank(input[p - 1])) {
        cut = p;
        break;
      }
    }
  }
  // A masked span across the cut must not be split: wait for it (it comes again, whole, at the start
  // of the next chunk) unless that would keep back more than two windows; then decide through it.
  for (const Span& span : spans_) {
    if (span.begin >= cut) break;
    if (span.end <= cut) continue;
    cut = n - span.begin <= 2 * window_ ? span.begin : span.end;
    break;
  }
  return cut;
}

proto::Result<Chunk> Redactor::redact(std::string_view input, Final final, std::size_t max_output) {
  // Every match in the whole input, secrets and patterns alike, on the raw bytes.
  secret_hits_.clear();
  pattern_hits_.clear();
  hits_.clear();
  spans_.clear();
  secrets_->find(input, secret_hits_);
  FLUXLOOP_CHECK(patterns_->find(input, pattern_hits_));
  for (const auto& m : secret_hits_) hits_.push_back(Hit{m.begin, m.end, true, m.secret});
  for (const auto& m : pattern_hits_) hits_.push_back(Hit{m.begin, m.end, false, m.rule});
  std::sort(hits_.begin(), hits_.end(), [](const Hit& a, const Hit& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end > b.end;
    return a.secret > b.secret;
  });
  // Overlapping matches merge into one masked span, so no part of any match survives. A span holding
  // a secret shows that secret's mask (a held secret outranks a pattern); else its first pattern's.
  for (const Hit& h : hits_) {
    const std::string* mask = h.secret ? &secret_masks_[h.index] : &patterns_->replacement(h.index);
    if (!spans_.empty() && h.begin < spans_.back().end) {
      Span& last = spans_.back();
      last.end = std::max(last.end, h.end);
      if (h.secret && !last.secret) {
        last.replacement = mask;
        last.secret = true;
      }
      continue;
    }
    spans_.push_back(Span{h.begin, h.end, mask, h.secret});
  }

  const std::size_t cut = decide(input, final);
  Chunk chunk;
  chunk.data.reserve(std::min(cut + cut / 8, max_output));
  std::size_t pos = 0;
  // Copies input up to `until` as far as the output budget allows; false when it ran out first.
  auto copy_until = [&](std::size_t until) {
    const std::size_t take = std::min(until - pos, max_output - chunk.data.size());
    chunk.data.append(input.substr(pos, take));
    pos += take;
    return pos == until;
  };
  bool full = false;
  for (const Span& span : spans_) {
    if (span.end > cut) break;  // after the cut (decide() leaves no span across it)
    if (!copy_until(span.begin) || chunk.data.size() + span.replacement->size() > max_output) {
      full = true;  // `pos` stops at a boundary: the next chunk starts there
      break;
    }
    chunk.data += *span.replacement;
    pos = span.end;
  }
  if (!full) copy_until(cut);
  chunk.consumed = pos;
  return chunk;
}

}  // namespace agentd::redact
