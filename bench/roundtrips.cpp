// fluxloop-bench-roundtrips: N concurrent connections doing request/reply round trips over the agent's
// Unix socket, against the real agent (a real request from proto::encode_request, every reply decoded
// and checked) or against fluxloop-bench-echo (the same request bytes, the echo compared byte for byte).
// Prints round trips/s, latency percentiles and CPU use; the last line is `result key=value ...` for
// scripts. Exit 0 when every reply was "ok" and no connection failed, 1 otherwise, 2 on usage errors.
//
//   fluxloop-bench-roundtrips --socket S [--target agent|echo] [--clients 64] [--threads 1]
//       [--warmup 1] [--seconds 5] [--requests R] [--reconnect] [--timeout 60]
//       [--op get_token|auth_refresh|agent_status] [--profile P] [--min-valid S] [--server-pid PID]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "bench/load.hpp"
#include "proto/codec.hpp"

namespace {

struct Options {
  bench::LoadPlan plan;
  std::string target = "agent";
  std::string op = "get_token";
  std::string profile;
  long min_valid = 0;
  long server_pid = 0;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "fluxloop-bench-roundtrips: %s\n"
               "usage: fluxloop-bench-roundtrips --socket PATH [--target agent|echo] [--clients N] [--threads K]\n"
               "         [--warmup S] [--seconds S] [--requests R] [--reconnect] [--timeout S]\n"
               "         [--op get_token|auth_refresh|agent_status] [--profile P] [--min-valid S] [--server-pid PID]\n",
               why.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    auto number = [&]() -> double {
      std::string v = value();
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || d < 0) usage("bad number for " + a + ": " + v);
      return d;
    };
    if (a == "--socket") o.plan.socket = value();
    else if (a == "--target") o.target = value();
    else if (a == "--clients") o.plan.clients = static_cast<int>(number());
    else if (a == "--threads") o.plan.threads = static_cast<int>(number());
    else if (a == "--warmup") o.plan.warmup = number();
    else if (a == "--seconds") o.plan.seconds = number();
    else if (a == "--requests") o.plan.requests = static_cast<long>(number());
    else if (a == "--timeout") o.plan.timeout = number();
    else if (a == "--reconnect") o.plan.reconnect = true;
    else if (a == "--op") o.op = value();
    else if (a == "--profile") o.profile = value();
    else if (a == "--min-valid") o.min_valid = static_cast<long>(number());
    else if (a == "--server-pid") o.server_pid = static_cast<long>(number());
    else usage("unknown option " + a);
  }
  if (o.plan.socket.empty()) usage("--socket is required");
  if (o.plan.clients < 1) usage("--clients must be at least 1");
  if (o.target != "agent" && o.target != "echo") usage("--target is agent or echo");
  if (o.op != "get_token" && o.op != "auth_refresh" && o.op != "agent_status") usage("unknown --op " + o.op);
  return o;
}

// Request ids are the connection index + 1: the agent must echo the id of the request it answers.
std::string make_frame(const Options& o, int index) {
  const auto id = static_cast<std::uint64_t>(index) + 1;
  if (o.op == "auth_refresh") return proto::encode_request(id, proto::AuthRefresh{o.profile});
  if (o.op == "agent_status") return proto::encode_request(id, proto::AgentStatus{});
  return proto::encode_request(id, proto::GetToken{o.profile, o.min_valid});
}

template <typename Req>
std::string judge(std::string_view body, int index) {
  auto reply = proto::decode_reply<typename Req::Reply>(body, static_cast<std::uint64_t>(index) + 1);
  if (!reply) return std::string(proto::to_string(reply.error().code));
  if constexpr (std::is_same_v<Req, proto::GetToken>) {
    if (reply->token.empty()) return "empty_token";
  }
  return "ok";
}

bench::Checker make_checker(const Options& o) {
  if (o.target == "echo") {
    return [](int, std::string_view request, std::string_view body) {
      return body == request.substr(proto::kHeaderSize) ? std::string("ok") : std::string("mismatch");
    };
  }
  if (o.op == "auth_refresh") return [](int i, std::string_view, std::string_view b) { return judge<proto::AuthRefresh>(b, i); };
  if (o.op == "agent_status") return [](int i, std::string_view, std::string_view b) { return judge<proto::AgentStatus>(b, i); };
  return [](int i, std::string_view, std::string_view b) { return judge<proto::GetToken>(b, i); };
}

// CPU seconds (user + system) a process has used so far, from /proc/PID/stat; -1 if unreadable.
double cpu_seconds(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(in, line)) return -1;
  auto close = line.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int f = 3; f <= 15 && rest >> field; ++f) {  // fields 14 and 15 are utime and stime
    if (f == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (f == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const std::string load_before = loadavg();
  const std::string server = std::to_string(o.server_pid);
  double server_cpu[2] = {0, 0}, self_cpu[2] = {0, 0};
  auto hook = [&](bool start) {
    if (o.server_pid > 0) server_cpu[start ? 0 : 1] = cpu_seconds(server);
    self_cpu[start ? 0 : 1] = cpu_seconds("self");
  };
  const auto report = bench::run_load(o.plan, [&o](int i) { return make_frame(o, i); }, make_checker(o), hook);

  const double window = report.window_seconds > 0 ? report.window_seconds : 1e-9;
  const auto trips = static_cast<long>(report.latency_ns.size());
  const double rps = static_cast<double>(trips) / window;
  long failed = 0;
  std::string outcomes;
  for (const auto& [k, v] : report.outcomes) {
    if (k != "ok") failed += v;
    outcomes += " " + k + "=" + std::to_string(v);
  }
  const double server_use = o.server_pid > 0 ? (server_cpu[1] - server_cpu[0]) / window : -1;
  const double self_use = (self_cpu[1] - self_cpu[0]) / window;
  auto p = [&](double q) { return bench::percentile_us(report.latency_ns, q); };

  std::printf("target=%s op=%s clients=%d threads=%d reconnect=%s window=%.2fs loadavg=%s\n", o.target.c_str(),
              o.op.c_str(), o.plan.clients, o.plan.threads, o.plan.reconnect ? "yes" : "no", window,
              load_before.c_str());
  std::printf("round trips: %ld (%.0f/s); io errors: %ld; unanswered: %ld\n", trips, rps, report.io_errors,
              report.unanswered);
  std::printf("latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n", p(0.50), p(0.90), p(0.99),
              p(0.999), p(1.0));
  std::printf("replies:%s\n", outcomes.empty() ? " none" : outcomes.c_str());
  if (server_use >= 0) std::printf("cpu (cores busy): server %.2f, load generator %.2f\n", server_use, self_use);
  else std::printf("cpu (cores busy): load generator %.2f\n", self_use);
  std::printf("result target=%s op=%s clients=%d rps=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f "
              "trips=%ld failed=%ld io_errors=%ld unanswered=%ld server_cpu=%.2f gen_cpu=%.2f loadavg=%s%s\n",
              o.target.c_str(), o.op.c_str(), o.plan.clients, rps, p(0.5), p(0.9), p(0.99), p(1.0), trips, failed,
              report.io_errors, report.unanswered, server_use, self_use, load_before.c_str(), outcomes.c_str());
  return failed == 0 && report.io_errors == 0 && report.unanswered == 0 ? 0 : 1;
}
