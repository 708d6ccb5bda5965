// Embedded store throughput and latency, with durability (one fsync per batch):
//   burst      post N reports as fast as one thread can, wait until all are committed
//   sustained  post at a fixed rate for a while; the worst post-to-commit lag
// The posting thread stands in for the event loop: its cost per report is what the loop pays.
//   usage: store_bench DIR [N=200000] [RATE=50000] [SECONDS=5]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "reports/store_writer.hpp"

using namespace taskmux::reports;
using clock_type = std::chrono::steady_clock;

namespace {

std::string body(uint64_t seq) {
  // The size of a typical report (~330 bytes).
  return R"({"ts":"2026-11-26T12:34:02.647Z","supervisor":"bench","run":"a84160","task":"crash","instance":0,)"
         R"("pid":4507,"event":"exited","state":"backoff","exit_code":3,"signal":null,"restarts":2,"seq":)" +
         std::to_string(seq) + R"(,"message":"exited with code 3 after 1ms; restarting in 191ms"})";
}

struct run_result {
  double seconds, per_second, post_p99_us, post_max_us, lag_p50_ms, lag_p99_ms, worst_lag_ms, slowest_commit_ms;
  uint64_t batches;
};

run_result run(const std::filesystem::path& dir, uint64_t n, double rate) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // Post times in ns since start, shared with the sampler (hence atomics).
  std::vector<std::atomic<int64_t>> posted(n);
  std::atomic<uint64_t> posted_count{0};
  store_writer w(store::file_in(dir), store_writer::target::queues, 10'000,
                 [](std::string_view, std::string text) { std::fprintf(stderr, "%s\n", text.c_str()); });
  auto start = clock_type::now();
  auto since_start = [start] { return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - start).count(); };
  // The sampler: how long has the oldest uncommitted report been waiting?
  std::vector<double> lags;  // sampled every 200 us while something waits
  std::thread sampler([&] {
    for (;;) {
      auto committed = w.snapshot().committed;
      if (committed >= n) return;
      if (committed < posted_count.load()) lags.push_back((since_start() - posted[committed].load()) / 1e6);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::vector<double> post_us;
  post_us.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    if (rate > 0) std::this_thread::sleep_until(start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(i / rate)));
    auto b = body(i + 1);
    auto t0 = clock_type::now();
    posted[i] = since_start();
    posted_count = i + 1;
    w.post({i % 3 ? "_status_bench" : "_fault_bench", std::move(b)});
    post_us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
  }
  sampler.join();
  auto elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  auto stats = w.snapshot();
  w.stop();
  std::sort(post_us.begin(), post_us.end());
  std::sort(lags.begin(), lags.end());
  auto lag = [&](double q) { return lags.empty() ? 0.0 : lags[static_cast<size_t>(q * (lags.size() - 1))]; };
  return {elapsed, n / elapsed, post_us[post_us.size() * 99 / 100], post_us.back(), lag(0.5), lag(0.99), lag(1.0),
          stats.slowest_commit_ms, stats.batches};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: store_bench DIR [N=200000] [RATE=50000] [SECONDS=5]\n");
    return 2;
  }
  std::filesystem::path dir = argv[1];
  uint64_t n = argc > 2 ? std::stoull(argv[2]) : 200'000;
  double rate = argc > 3 ? std::stod(argv[3]) : 50'000;
  double seconds = argc > 4 ? std::stod(argv[4]) : 5;

  auto burst = run(dir / "burst", n, 0);
  std::printf("burst      %llu reports in %.2f s = %.0f reports/s, %llu batches (%.0f per fsync); post p99 %.1f us, max %.1f us\n",
              static_cast<unsigned long long>(n), burst.seconds, burst.per_second,
              static_cast<unsigned long long>(burst.batches), n / double(burst.batches), burst.post_p99_us, burst.post_max_us);
  auto steady_n = static_cast<uint64_t>(rate * seconds);
  auto steady = run(dir / "sustained", steady_n, rate);
  std::printf("sustained  %.0f reports/s for %.1f s: %llu batches; post-to-commit lag p50 %.1f / p99 %.1f / max %.1f ms, slowest commit %.1f ms; post p99 %.1f us, max %.1f us\n",
              rate, steady.seconds, static_cast<unsigned long long>(steady.batches), steady.lag_p50_ms, steady.lag_p99_ms, steady.worst_lag_ms, steady.slowest_commit_ms,
              steady.post_p99_us, steady.post_max_us);
  std::filesystem::remove_all(dir);
  return 0;
}
