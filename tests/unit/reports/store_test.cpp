// The embedded queue store: order, pop, retain with its drop counter, the outbox, and that
// what was committed is there for the next connection (another process, a restart); the
// writer, which never waits for the store to open and keeps supervising while it cannot be.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "reports/store.hpp"
#include "reports/store_writer.hpp"

namespace {

using namespace taskmux::reports;
namespace fs = std::filesystem;
using batch = std::vector<outgoing>;

struct temp_store {
  fs::path dir = fs::temp_directory_path() / ("taskmux-store-" + std::to_string(::getpid()) + "-" +
                                              std::to_string(reinterpret_cast<uintptr_t>(this)));
  temp_store() { fs::create_directories(dir); }
  ~temp_store() { fs::remove_all(dir); }
  fs::path file() const { return store::file_in(dir); }
};

/// Another connection holding the write lock of a new store file, as one does while it creates
/// the file. Its commit waits for readers, as the store's own connections do.
struct write_lock {
  sqlite3* db = nullptr;
  explicit write_lock(const fs::path& file) {
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 10'000);
    REQUIRE(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  ~write_lock() { sqlite3_close(db); }
  bool release() { return sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK; }
};

std::vector<std::string> bodies(const std::vector<stored_message>& ms) {
  std::vector<std::string> out;
  for (auto& m : ms) out.push_back(m.body);
  return out;
}

}  // namespace

TEST_CASE("messages come back in the order they went in, per queue") {
  temp_store t;
  store s(t.file());
  s.append(batch{{"a", "1"}, {"b", "x"}, {"a", "2"}}, 0);
  s.append(batch{{"a", "3"}}, 0);
  CHECK(bodies(s.tail("a", 0)) == std::vector<std::string>{"1", "2", "3"});
  CHECK(bodies(s.tail("a", 2)) == std::vector<std::string>{"2", "3"});
  CHECK(bodies(s.tail("b", 10)) == std::vector<std::string>{"x"});
  CHECK(s.tail("none", 10).empty());
  auto all = s.tail("a", 0);
  CHECK(bodies(s.tail("a", 0, all[0].id)) == std::vector<std::string>{"2", "3"});
}

TEST_CASE("pop takes the oldest and says when the queue is empty") {
  temp_store t;
  store s(t.file());
  s.push("q", "first", 0);
  s.push("q", "second", 0);
  CHECK(s.pop("q")->body == "first");
  CHECK(s.pop("q")->body == "second");
  CHECK_FALSE(s.pop("q").has_value());
  auto list = s.list();
  REQUIRE(list.size() == 1);
  CHECK(list[0].length == 0);
}

TEST_CASE("retain keeps the newest messages and counts the dropped ones") {
  temp_store t;
  store s(t.file());
  for (int batch = 0; batch < 4; ++batch) {
    std::vector<outgoing> b;
    for (int i = 0; i < 5; ++i) b.push_back({"q", std::to_string(batch * 5 + i)});
    b.push_back({"other", "o"});
    s.append(b, 7);
  }
  CHECK(bodies(s.tail("q", 0)) == std::vector<std::string>{"13", "14", "15", "16", "17", "18", "19"});
  auto list = s.list();
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "other");
  CHECK(list[0].length == 4);
  CHECK(list[0].dropped == 0);
  CHECK(list[1].name == "q");
  CHECK(list[1].length == 7);
  CHECK(list[1].dropped == 13);
}

TEST_CASE("push keeps a queue to retain, like the supervisor's reports") {
  temp_store t;
  store s(t.file());
  for (int i = 0; i < 8; ++i) s.push("q", std::to_string(i), 5);
  CHECK(bodies(s.tail("q", 0)) == std::vector<std::string>{"3", "4", "5", "6", "7"});
  REQUIRE(s.list().size() == 1);
  CHECK(s.list()[0].dropped == 3);
}

TEST_CASE("reports that never reached the file count as dropped, in queues old and new") {
  temp_store t;
  store s(t.file());
  s.push("old", "x", 0);
  s.count_dropped({{"old", 2}, {"new", 5}});
  s.count_dropped({{"new", 1}});
  auto list = s.list();
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "new");
  CHECK(list[0].length == 0);
  CHECK(list[0].dropped == 6);
  CHECK(list[1].name == "old");
  CHECK(list[1].length == 1);
  CHECK(list[1].dropped == 2);
}

TEST_CASE("a second connection sees what the first committed, and ids are never reused") {
  temp_store t;
  int64_t last_id = 0;
  {
    store writer(t.file());
    writer.append(batch{{"q", "a"}, {"q", "b"}}, 0);
    store reader(t.file());
    auto seen = reader.tail("q", 0);
    REQUIRE(seen.size() == 2);
    last_id = seen.back().id;
    CHECK(reader.pop("q")->body == "a");
    CHECK(reader.pop("q")->body == "b");
  }
  store again(t.file());
  again.push("q", "c", 0);
  auto now = again.tail("q", 0);
  REQUIRE(now.size() == 1);
  CHECK(now[0].id > last_id);
}

// Two connections that open a new file at the same moment (the writer and the AMQP publisher
// at start-up, or `taskmux queue`) meet like this: one of them holds the write lock while the
// other switches the file to WAL.
TEST_CASE("a new file opens while another connection holds its write lock for a moment") {
  temp_store t;
  write_lock other(t.file());
  bool released = false;
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    released = other.release();
  });
  std::optional<store> s;
  CHECK_NOTHROW(s.emplace(t.file()));
  release.join();
  CHECK(released);
  REQUIRE(s);
  s->push("q", "a", 0);
  CHECK(s->tail("q", 0).size() == 1);
}

TEST_CASE("the outbox hands out messages in order and forgets confirmed ones") {
  temp_store t;
  store s(t.file());
  s.append_outbox(batch{{"_status_a", "1"}, {"_fault_a", "2"}, {"_status_a", "3"}});
  auto first = s.outbox_after(0, 2);
  REQUIRE(first.size() == 2);
  CHECK(first[0].queue == "_status_a");
  CHECK(first[1].body == "2");
  s.remove_outbox_through(first[1].id);
  CHECK(s.outbox_length() == 1);
  auto rest = s.outbox_after(0, 10);
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].body == "3");
  CHECK(s.list().empty());  // the outbox is not a queue of its own
}

TEST_CASE("an unusable file is an error that names it") {
  CHECK_THROWS_WITH_AS(store("/proc/no-such-dir/queues.db"), doctest::Contains("/proc/no-such-dir/queues.db"),
                       store_error);
}

TEST_CASE("a writer never waits for its store to open, and writes what was posted meanwhile") {
  temp_store t;
  write_lock other(t.file());
  auto began = std::chrono::steady_clock::now();
  std::vector<std::string> lines;
  std::mutex lines_mutex;
  {
    store_writer w(t.file(), store_writer::target::queues, 0, [&](std::string_view, std::string text) {
      std::lock_guard lock(lines_mutex);
      lines.push_back(std::move(text));
    });
    w.post({"_status_a", "1"});
    w.post({"_status_a", "2"});
    // The store cannot be opened while `other` holds the lock: neither did the writer wait.
    CHECK(std::chrono::steady_clock::now() - began < std::chrono::milliseconds(400));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(w.snapshot().committed == 0);
    CHECK(other.release());
    w.stop();
    CHECK(w.snapshot().committed == 2);
  }
  store s(t.file());
  CHECK(bodies(s.tail("_status_a", 0)) == std::vector<std::string>{"1", "2"});
  std::lock_guard lock(lines_mutex);
  CHECK(lines.empty());  // waiting for another connection's lock is no failure
}

TEST_CASE("until its store is open, a writer keeps reports to the bound of a failing store") {
  temp_store t;
  write_lock other(t.file());
  store_writer w(t.file(), store_writer::target::queues, 0, [](std::string_view, std::string) {});
  std::string body(1000, 'x');
  size_t posted = 2 * store_writer::max_waiting_bytes / body.size();
  for (size_t i = 0; i < posted; ++i) w.post({"_status_a", body});
  auto dropped = w.snapshot().dropped;
  CHECK(dropped > posted / 3);
  CHECK(dropped < posted * 2 / 3);
  CHECK(other.release());
  w.stop();
  CHECK(w.snapshot().committed == posted - dropped);
}

TEST_CASE("a writer whose store cannot be opened keeps bounded reports, and writes them once it can") {
  temp_store t;
  auto dir = t.dir / "not-yet";  // opening fails until the directory exists
  std::vector<std::string> lines;
  std::mutex lines_mutex;
  store_writer w(store::file_in(dir), store_writer::target::queues, 0, [&](std::string_view, std::string text) {
    std::lock_guard lock(lines_mutex);
    lines.push_back(std::move(text));
  });
  std::string body(1000, 'x');
  size_t posted = 2 * store_writer::max_waiting_bytes / body.size();
  for (size_t i = 0; i < posted; ++i) w.post({i % 2 ? "_status_a" : "_fault_a", body});
  auto dropped = w.snapshot().dropped;
  CHECK(dropped > posted / 3);
  CHECK(dropped < posted * 2 / 3);
  // The writer tries the store on its own thread: the directory comes after that first try.
  auto said = [&] {
    std::lock_guard lock(lines_mutex);
    return !lines.empty();
  };
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       !said() && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  fs::create_directories(dir);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (w.snapshot().committed < posted - dropped && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  w.post({"_status_a", "after"});
  w.stop();
  store s(store::file_in(dir));
  int64_t held = 0, counted = 0;
  for (auto& q : s.list()) {
    held += q.length;
    counted += q.dropped;
  }
  CHECK(held == static_cast<int64_t>(posted - dropped + 1));
  CHECK(counted == static_cast<int64_t>(dropped));
  std::lock_guard lock(lines_mutex);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].find("supervising all the same") != std::string::npos);
  CHECK(lines[1].find("works again") != std::string::npos);
  CHECK(lines.back().find(std::to_string(dropped) + " reports were dropped") != std::string::npos);
}
