// Anomaly windows: thresholds, one report per window per kind, bounded list; usage table bounds.
#include <doctest/doctest.h>

#include <chrono>

#include "agentd/audit/anomalies.hpp"
#include "agentd/audit/usage.hpp"

namespace {

using agentd::audit::AnomalyDetector;
using agentd::audit::WindowCounter;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

}  // namespace

TEST_CASE("anomalies: the window counter slides over the previous window") {
  WindowCounter counter(60s);
  const auto t0 = Clock::now();
  double count = 0;
  for (int i = 0; i < 10; ++i) count = counter.add(t0 + std::chrono::seconds(i));
  CHECK(count == doctest::Approx(10));
  // Half-way into the next window, half of the previous one still counts.
  CHECK(counter.add(t0 + 90s) == doctest::Approx(10 * 0.5 + 1));
  // After two windows of silence nothing earlier counts.
  CHECK(counter.add(t0 + 300s) == doctest::Approx(1));
}

TEST_CASE("anomalies: a request-rate spike is reported once per window, beyond the threshold") {
  AnomalyDetector detector({.request_rate_per_minute = 5, .rejected_peers = 0, .refresh_failures = 0});
  const auto t0 = Clock::now();
  for (int i = 0; i < 5; ++i) detector.request(t0 + std::chrono::milliseconds(i));
  CHECK(detector.anomalies().empty());  // at the threshold is not beyond it
  detector.request(t0 + 10ms);
  REQUIRE(detector.anomalies().size() == 1);
  CHECK(detector.anomalies().back().kind == proto::AnomalyKind::request_rate);
  CHECK(detector.anomalies().back().detail.find("threshold 5") != std::string::npos);
  CHECK_FALSE(detector.anomalies().back().time.empty());
  for (int i = 0; i < 500; ++i) detector.request(t0 + 20ms + std::chrono::milliseconds(i));
  CHECK(detector.anomalies().size() == 1);  // no spam within the window
  // A window later, a still-high rate is reported again.
  for (int i = 0; i < 10; ++i) detector.request(t0 + 61s + std::chrono::milliseconds(i));
  CHECK(detector.anomalies().size() == 2);
}

TEST_CASE("anomalies: rejected peers and refresh failures are reported when their threshold is reached") {
  AnomalyDetector detector({.request_rate_per_minute = 0, .rejected_peers = 3, .refresh_failures = 2});
  const auto t0 = Clock::now();
  detector.rejected_peer(100, 65534, t0);
  detector.rejected_peer(101, 65534, t0 + 1s);
  CHECK(detector.anomalies().empty());
  detector.rejected_peer(102, 65534, t0 + 2s);
  REQUIRE(detector.anomalies().size() == 1);
  CHECK(detector.anomalies()[0].kind == proto::AnomalyKind::rejected_peers);
  CHECK(detector.anomalies()[0].detail.find("pid 102, uid 65534") != std::string::npos);
  detector.rejected_peer(103, 65534, t0 + 3s);
  CHECK(detector.anomalies().size() == 1);

  detector.refresh_failure("prod", "network", t0);
  CHECK(detector.anomalies().size() == 1);
  detector.refresh_failure("prod", "server_error", t0 + 2s);
  REQUIRE(detector.anomalies().size() == 2);
  CHECK(detector.anomalies()[1].kind == proto::AnomalyKind::refresh_failures);
  CHECK(detector.anomalies()[1].detail.find("profile prod, server_error") != std::string::npos);

  // Failures spread wider than a window do not add up to an anomaly.
  AnomalyDetector sparse({.request_rate_per_minute = 0, .rejected_peers = 0, .refresh_failures = 2});
  sparse.refresh_failure("prod", "network", t0);
  sparse.refresh_failure("prod", "network", t0 + 200s);
  CHECK(sparse.anomalies().empty());
  // Threshold 0 turns a check off.
  for (int i = 0; i < 1000; ++i) sparse.request(t0 + std::chrono::milliseconds(i));
  CHECK(sparse.anomalies().empty());
}

TEST_CASE("anomalies: the list is bounded, oldest dropped") {
  AnomalyDetector detector({.request_rate_per_minute = 0, .rejected_peers = 1, .refresh_failures = 0});
  const auto t0 = Clock::now();
  for (int i = 0; i < 40; ++i) detector.rejected_peer(i, 65534, t0 + std::chrono::minutes(2 * i));
  CHECK(detector.anomalies().size() == agentd::audit::kMaxAnomalies);
  CHECK(detector.anomalies().back().detail.find("pid 39,") != std::string::npos);
}

TEST_CASE("usage: figures per credential, failures counted, table bounded by least recent use") {
  using agentd::audit::CredentialKind;
  using agentd::audit::Outcome;
  agentd::audit::UsageTable table(3);
  const auto t0 = std::chrono::system_clock::now();
  table.record(CredentialKind::profile, "prod", t0, Outcome::ok);
  table.record(CredentialKind::profile, "prod", t0 + 1s, Outcome::failed);
  table.record(CredentialKind::api_key, "flx_…a1b2", t0, Outcome::ok);
  const auto* prod = table.find(CredentialKind::profile, "prod");
  REQUIRE(prod);
  CHECK(prod->requests == 2);
  CHECK(prod->failures == 1);
  CHECK(prod->last_used == t0 + 1s);
  CHECK(table.find(CredentialKind::profile, "flx_…a1b2") == nullptr);  // kinds are separate

  const auto snapshot = table.snapshot();
  REQUIRE(snapshot.size() == 2);
  CHECK(snapshot[0].name == "prod");
  CHECK(snapshot[0].kind == proto::UsageKind::profile);
  CHECK_FALSE(snapshot[0].last_used.empty());
  CHECK(snapshot[1].kind == proto::UsageKind::api_key);

  for (int i = 0; i < 5; ++i) table.record(CredentialKind::profile, "p" + std::to_string(i), t0 + 10s + std::chrono::seconds(i), Outcome::ok);
  CHECK(table.find(CredentialKind::profile, "prod") == nullptr);  // least recently used went first
  CHECK(table.find(CredentialKind::profile, "p4") != nullptr);
  CHECK(table.size() == 4);  // 3 profiles + 1 key
}
