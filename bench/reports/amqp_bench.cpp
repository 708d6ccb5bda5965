// AMQP publisher throughput: a fresh store's outbox filled with N report-sized messages over a
// few queues (what a long broker outage leaves behind), then amqp_publisher delivers it to a
// real broker until the outbox is empty: publishes, confirms, and the confirmed rows removed
// from disk. That is the replay rate after an outage.
//   usage: amqp_bench URL [N=50000] [DIR=/tmp/taskmux-amqp-bench] [QUEUES=4]
// The bench queues (_amqp_bench_0..) are deleted on the broker before and after the run.
#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/tcp_socket.h>
#else
#include <amqp.h>  // rabbitmq-c 0.11 (Debian 12)
#include <amqp_tcp_socket.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "config/amqp_url.hpp"
#include "reports/amqp_publisher.hpp"
#include "reports/store.hpp"

using namespace taskmux::reports;
using clock_type = std::chrono::steady_clock;

namespace {

std::string body(uint64_t seq, const std::string& queue) {
  // A report of typical size (~270 bytes; one with stderr lines is larger).
  return R"({"ts":"2026-11-26T12:34:02.647Z","supervisor":"bench","run":"a84160","task":")" + queue +
         R"(","instance":0,"pid":4507,"event":"exited","state":"backoff","exit_code":3,"signal":null,"restarts":2,"seq":)" +
         std::to_string(seq) + R"(,"message":"exited with code 3 after 1ms; restarting in 191ms"})";
}

/// A plain rabbitmq-c connection of the bench's own (not the code under test): counts what the
/// broker holds, deletes the bench queues.
class admin {
 public:
  explicit admin(const taskmux::config::amqp_target& t) : conn_(amqp_new_connection()) {
    amqp_socket_t* s = amqp_tcp_socket_new(conn_);
    if (!s || amqp_socket_open(s, t.host.c_str(), t.port) != AMQP_STATUS_OK)
      throw std::runtime_error("cannot connect to " + t.redacted());
    check(amqp_login(conn_, t.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE, 0, AMQP_SASL_METHOD_PLAIN, t.user.c_str(),
                     t.password.c_str()),
          "login");
    amqp_channel_open(conn_, 1);
    check(amqp_get_rpc_reply(conn_), "channel.open");
  }
  ~admin() {
    amqp_channel_close(conn_, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn_);
  }
  /// Messages in `queue` (created durable when missing, as the publisher would).
  uint32_t count(const std::string& queue) {
    auto* ok = amqp_queue_declare(conn_, 1, amqp_cstring_bytes(queue.c_str()), 0, 1, 0, 0, amqp_empty_table);
    check(amqp_get_rpc_reply(conn_), "queue.declare");
    return ok->message_count;
  }
  void remove(const std::string& queue) {
    amqp_queue_delete(conn_, 1, amqp_cstring_bytes(queue.c_str()), 0, 0);
    check(amqp_get_rpc_reply(conn_), "queue.delete");
  }

 private:
  static void check(amqp_rpc_reply_t r, const char* what) {
    if (r.reply_type != AMQP_RESPONSE_NORMAL) throw std::runtime_error(std::string("broker refused ") + what);
  }
  amqp_connection_state_t conn_;
};

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // in order with the publisher's lines on stderr
  if (argc < 2) {
    std::fprintf(stderr, "usage: amqp_bench URL [N=50000] [DIR=/tmp/taskmux-amqp-bench] [QUEUES=4]\n");
    return 2;
  }
  std::string error;
  auto target = taskmux::config::parse_amqp_url(argv[1], error);
  if (!target) {
    std::fprintf(stderr, "amqp_bench: %s\n", error.c_str());
    return 2;
  }
  uint64_t n = argc > 2 ? std::stoull(argv[2]) : 50'000;
  std::filesystem::path dir = argc > 3 ? argv[3] : "/tmp/taskmux-amqp-bench";
  int queues = argc > 4 ? std::stoi(argv[4]) : 4;
  if (n == 0 || queues < 1) {
    std::fprintf(stderr, "amqp_bench: N and QUEUES must be positive\n");
    return 2;
  }
  std::vector<std::string> names;
  for (int i = 0; i < queues; ++i) names.push_back("_amqp_bench_" + std::to_string(i));

  try {
    {
      admin a(*target);
      for (auto& q : names) a.remove(q);
    }
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto file = store::file_in(dir);

    // Fill: 5,000 rows per transaction (the writer's batches under a crash loop are smaller,
    // this is only the set-up).
    auto t0 = clock_type::now();
    uint64_t bytes = 0;
    {
      store s(file);
      std::vector<outgoing> batch;
      for (uint64_t i = 0; i < n; ++i) {
        auto& q = names[i % names.size()];
        batch.push_back({q, body(i + 1, q)});
        bytes += batch.back().body.size();
        if (batch.size() == 5000 || i + 1 == n) {
          s.append_outbox(batch);
          batch.clear();
        }
      }
      if (s.outbox_length() != static_cast<int64_t>(n)) throw std::runtime_error("the outbox does not hold N rows");
    }
    auto fill_s = std::chrono::duration<double>(clock_type::now() - t0).count();
    std::printf("filled     %llu messages (%.0f bytes each, %d queues) in %.2f s\n", static_cast<unsigned long long>(n),
                double(bytes) / n, queues, fill_s);

    amqp_publisher p(*target, file, [](std::string_view level, std::string text) {
      std::fprintf(stderr, "%.*s: %s\n", int(level.size()), level.data(), text.c_str());
    });
    auto start = clock_type::now();
    p.start();
    double all_confirmed_s = 0;
    amqp_publisher::stats st;
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      st = p.snapshot();
      auto t = std::chrono::duration<double>(clock_type::now() - start).count();
      if (!all_confirmed_s && st.confirmed >= n) all_confirmed_s = t;
      // pending is what the publisher last counted on disk: 0 once the last rows are removed.
      if (st.confirmed >= n && st.pending == 0) break;
      if (t > 600) throw std::runtime_error("not delivered after 600 s (last error: " + st.last_error + ")");
    }
    auto empty_s = std::chrono::duration<double>(clock_type::now() - start).count();
    p.stop(std::chrono::milliseconds(0));
    {
      store s(file);
      if (s.outbox_length() != 0) throw std::runtime_error("the outbox is not empty after all");
    }

    uint64_t at_broker = 0;
    {
      admin a(*target);
      for (auto& q : names) at_broker += a.count(q);
      for (auto& q : names) a.remove(q);
    }
    std::printf("delivered  %llu messages: all confirmed after %.2f s, outbox empty after %.2f s = %.0f msgs/s "
                "(%.1f MB/s of bodies); %llu publishes (%llu resent); the broker held %llu\n",
                static_cast<unsigned long long>(n), all_confirmed_s, empty_s, n / empty_s, bytes / empty_s / 1e6,
                static_cast<unsigned long long>(st.published), static_cast<unsigned long long>(st.published - n),
                static_cast<unsigned long long>(at_broker));
    std::filesystem::remove_all(dir);
    return at_broker == n ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "amqp_bench: %s\n", e.what());
    return 1;
  }
}
