// The embedded queue store: durable named queues in one SQLite file under state_dir (WAL, so
// `taskmux queue` can read and write while the supervisor appends). Also the AMQP outbox:
// reports wait there, on disk, until the broker confirmed them.
// One store object = one SQLite connection; use it from one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace taskmux::reports {

/// Any SQLite failure, with the file and SQLite's own words.
struct store_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One message on its way in: which queue, and the body (a JSON report or any text).
struct outgoing {
  std::string queue;
  std::string body;
};

struct stored_message {
  int64_t id = 0;  ///< grows with every message ever stored; never reused
  std::string queue;
  std::string body;
};

struct queue_info {
  std::string name;
  int64_t length = 0;   ///< messages in it now
  int64_t dropped = 0;  ///< older messages removed because of `retain`
};

class store {
 public:
  /// Opens the store file, creating it (and its schema) when missing.
  explicit store(const std::filesystem::path& file);
  ~store();
  store(store&&) noexcept;
  store& operator=(store&&) = delete;
  store(const store&) = delete;

  static std::filesystem::path file_in(const std::filesystem::path& state_dir) { return state_dir / "queues.db"; }
  const std::filesystem::path& file() const { return file_; }

  /// Appends all of `batch` in one transaction (one fsync), then trims every queue it touched
  /// to its newest `retain` messages, counting what went (`retain` <= 0: no bound).
  void append(std::span<const outgoing> batch, int retain);
  void push(std::string_view queue, std::string_view body, int retain) {
    outgoing m{std::string(queue), std::string(body)};
    append({&m, 1}, retain);
  }
  /// Adds to the DROPPED count of each queue: reports that never reached the file.
  void count_dropped(const std::map<std::string, int64_t>& dropped);
  /// Removes and returns the oldest message of `queue`; nothing when it is empty.
  std::optional<stored_message> pop(std::string_view queue);
  /// The newest `n` messages of `queue` with id > `after`, oldest first (n = 0: all of them).
  std::vector<stored_message> tail(std::string_view queue, size_t n, int64_t after = 0);
  /// Every queue that ever held a message, by name.
  std::vector<queue_info> list();

  /// AMQP outbox: what still waits for a broker confirm, in order.
  void append_outbox(std::span<const outgoing> batch);
  std::vector<stored_message> outbox_after(int64_t after, size_t limit);
  /// Forgets every outbox message with id <= `id` (confirmed by the broker).
  void remove_outbox_through(int64_t id);
  int64_t outbox_length();

  /// For the one connection that writes a lot: no checkpoint inside its commits (they would
  /// stall it for tens of ms); another connection calls checkpoint() instead.
  void disable_auto_checkpoint() { exec("PRAGMA wal_autocheckpoint=0"); }
  /// Copies committed WAL frames into the database file without blocking writers (PASSIVE).
  void checkpoint();
  /// Copies every WAL frame into the database file and empties the WAL file (TRUNCATE), if
  /// nobody is writing or reading right now; else does what PASSIVE does. For idle moments:
  /// the WAL takes no disk space while nothing is written.
  void checkpoint_and_truncate();

 private:
  /// A cached statement for the length of one use: reset, bindings cleared, when it ends.
  class statement {
   public:
    explicit statement(sqlite3_stmt* s) : s_(s) {}
    ~statement() {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    sqlite3_stmt* get() const { return s_; }

   private:
    sqlite3_stmt* s_;
  };

  /// Puts the file in WAL mode, waiting up to the busy timeout for other connections.
  void use_wal();
  void exec(const char* sql);
  /// `sql` (a string literal: its address is the key) is compiled once per connection; the
  /// writer commits hundreds of times a second and parsing SQL was most of each commit.
  statement prepare(const char* sql);
  /// Runs a statement that returns no rows.
  void step_once(const char* sql, const char* what);
  /// BEGIN IMMEDIATE, body(), COMMIT; rolled back when body throws. Returns body's result.
  template <class Body>
  auto transact(Body&& body);
  /// Runs `sql` (parameters ?1 queue, ?2 body) once per message.
  void insert_all(const char* sql, std::span<const outgoing> batch);
  /// Steps `rows` (columns id, queue, body) to the end.
  std::vector<stored_message> messages(sqlite3_stmt* rows, const char* what);
  [[noreturn]] void fail(const char* what);

  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> statements_;
};

}  // namespace taskmux::reports
