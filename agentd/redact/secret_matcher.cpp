#include "agentd/redact/secret_matcher.hpp"

#include <string.h>

#include <algorithm>
#include <deque>
#include <limits>

namespace agentd::redact {
namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint32_t kRoot = 0;

}  // namespace

SecretMatcher::SecretMatcher(const std::vector<std::string_view>& secrets) {
  nodes_.emplace_back();
  // Trie of every secret.
  for (std::size_t index = 0; index < secrets.size(); ++index) {
    const std::string_view secret = secrets[index];
    if (secret.empty()) continue;
    longest_ = std::max(longest_, secret.size());
    std::uint32_t node = kRoot;
    for (char c : secret) {
      const auto byte = static_cast<unsigned char>(c);
      std::uint32_t next = child(node, byte);
      if (next == kNone) {
        next = static_cast<std::uint32_t>(nodes_.size());
        auto& edges = nodes_[node].edges;
        edges.insert(std::lower_bound(edges.begin(), edges.end(), byte, [](const Edge& e, unsigned char b) { return e.byte < b; }),
                     Edge{byte, next});
        Node fresh;
        fresh.depth = nodes_[node].depth + 1;
        nodes_.push_back(std::move(fresh));  // invalidates `edges`: not used past this point
      }
      node = next;
    }
    // A duplicate secret keeps its first index: both spell the same bytes.
    if (nodes_[node].report < 0) {
      nodes_[node].report = static_cast<std::int32_t>(index);
      nodes_[node].report_length = nodes_[node].depth;
    }
  }
  root_.fill(kRoot);
  for (const Edge& e : nodes_[kRoot].edges) root_[e.byte] = e.to;

  // Failure links breadth-first: a node's fail target is shallower, so it is complete when needed.
  // A node without its own secret reports its fail target's (the longest secret ending here).
  std::deque<std::uint32_t> queue;
  for (const Edge& e : nodes_[kRoot].edges) {
    nodes_[e.to].fail = kRoot;
    queue.push_back(e.to);
  }
  while (!queue.empty()) {
    const std::uint32_t node = queue.front();
    queue.pop_front();
    for (const Edge& e : nodes_[node].edges) {
      nodes_[e.to].fail = step(nodes_[node].fail, e.byte);
      if (nodes_[e.to].report < 0) {
        nodes_[e.to].report = nodes_[nodes_[e.to].fail].report;
        nodes_[e.to].report_length = nodes_[nodes_[e.to].fail].report_length;
      }
      queue.push_back(e.to);
    }
  }
}

SecretMatcher::~SecretMatcher() {
  // The edge bytes spell the secrets: overwrite them before the heap reuses the memory.
  for (Node& node : nodes_) {
    if (!node.edges.empty()) ::explicit_bzero(node.edges.data(), node.edges.size() * sizeof(Edge));
  }
  ::explicit_bzero(root_.data(), sizeof root_);
}

std::uint32_t SecretMatcher::child(std::uint32_t node, unsigned char byte) const {
  const auto& edges = nodes_[node].edges;
  for (const Edge& e : edges) {
    if (e.byte == byte) return e.to;
    if (e.byte > byte) break;
  }
  return kNone;
}

std::uint32_t SecretMatcher::step(std::uint32_t node, unsigned char byte) const {
  while (node != kRoot) {
    if (std::uint32_t next = child(node, byte); next != kNone) return next;
    node = nodes_[node].fail;
  }
  return root_[byte];
}

void SecretMatcher::find(std::string_view text, std::vector<SecretMatch>& out) const {
  if (longest_ == 0) return;
  std::uint32_t node = kRoot;
  for (std::size_t i = 0; i < text.size(); ++i) {
    node = step(node, static_cast<unsigned char>(text[i]));
    const Node& at = nodes_[node];
    if (at.report < 0) continue;
    out.push_back(SecretMatch{i + 1 - at.report_length, i + 1, static_cast<std::size_t>(at.report)});
  }
}

}  // namespace agentd::redact
