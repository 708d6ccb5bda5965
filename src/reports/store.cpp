#include "reports/store.hpp"

#include <unistd.h>

#include <chrono>
#include <map>
#include <utility>

namespace taskmux::reports {
namespace {

constexpr int busy_timeout_ms = 10'000;

// AUTOINCREMENT: ids are never reused, so "id > last seen" stays right across pops and trims.
constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS queue(
  name    TEXT PRIMARY KEY,
  length  INTEGER NOT NULL DEFAULT 0,
  dropped INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS message(
  id    INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  body  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS message_by_queue ON message(queue, id);
CREATE TABLE IF NOT EXISTS outbox(
  id    INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  body  TEXT NOT NULL
);
)sql";

void bind_text(sqlite3_stmt* s, int i, std::string_view text) {
  sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

std::string column_text(sqlite3_stmt* s, int i) {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, i))) : std::string();
}

}  // namespace

store::store(const std::filesystem::path& file) : file_(file) {
  try {
    int rc = sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) fail("open");
    // Several processes share the file (the supervisor, `taskmux queue`): wait for each other.
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    use_wal();
    // FULL: every commit is fsynced, so a committed report survives a power loss too.
    exec("PRAGMA synchronous=FULL");
    // The WAL file shrinks back to this after a burst (and to nothing when idle, see
    // checkpoint_and_truncate).
    exec("PRAGMA journal_size_limit=16777216");
    // Appends and tail reads touch few pages: 256 KiB of cache, not SQLite's 2 MiB default
    // (memory is a feature; the store benchmark does not get slower).
    exec("PRAGMA cache_size=-256");
    exec(schema);
  } catch (...) {
    sqlite3_close_v2(db_);  // a failed open still allocated a handle; no destructor will run
    throw;
  }
}

store::~store() {
  for (auto& [sql, s] : statements_) sqlite3_finalize(s);
  if (db_) sqlite3_close_v2(db_);
}

store::store(store&& o) noexcept
    : file_(std::move(o.file_)), db_(std::exchange(o.db_, nullptr)), statements_(std::move(o.statements_)) {}

void store::fail(const char* what) {
  std::string msg = "queue store " + file_.string() + ": " + what + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory");
  throw store_error(msg);
}

void store::use_wal() {
  // Switching a new file to WAL takes its write lock from inside a read transaction, where
  // SQLite answers "busy" at once instead of calling the busy handler: a connection that
  // opens the file while another one does the same (the writer and the AMQP publisher at
  // start-up, `taskmux queue`) would fail. Retried here as the busy handler would.
  auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  while (sqlite3_exec(db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
    if (sqlite3_errcode(db_) != SQLITE_BUSY || std::chrono::steady_clock::now() >= give_up) fail("journal mode");
    ::usleep(1000);
  }
}

void store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = "queue store " + file_.string() + ": " + (err ? err : "error");
    sqlite3_free(err);
    throw store_error(msg);
  }
}

store::statement store::prepare(const char* sql) {
  auto& s = statements_[sql];
  if (!s && sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
    statements_.erase(sql);
    fail("prepare");
  }
  return statement(s);
}

void store::step_once(const char* sql, const char* what) {
  auto s = prepare(sql);
  if (sqlite3_step(s.get()) != SQLITE_DONE) fail(what);
}

template <class Body>
auto store::transact(Body&& body) {
  step_once("BEGIN IMMEDIATE", "begin");
  try {
    auto result = body();
    step_once("COMMIT", "commit");
    return result;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void store::insert_all(const char* sql, std::span<const outgoing> batch) {
  auto insert = prepare(sql);
  for (auto& m : batch) {
    bind_text(insert.get(), 1, m.queue);
    bind_text(insert.get(), 2, m.body);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) fail("insert");
    sqlite3_reset(insert.get());
  }
}

std::vector<stored_message> store::messages(sqlite3_stmt* rows, const char* what) {
  std::vector<stored_message> out;
  int rc;
  while ((rc = sqlite3_step(rows)) == SQLITE_ROW)
    out.push_back({sqlite3_column_int64(rows, 0), column_text(rows, 1), column_text(rows, 2)});
  if (rc != SQLITE_DONE) fail(what);
  return out;
}

void store::append(std::span<const outgoing> batch, int retain) {
  if (batch.empty()) return;
  transact([&] {
    insert_all("INSERT INTO message(queue, body) VALUES(?1, ?2)", batch);
    std::map<std::string_view, int64_t> added;
    for (auto& m : batch) ++added[m.queue];
    auto grow = prepare(
        "INSERT INTO queue(name, length) VALUES(?1, ?2) "
        "ON CONFLICT(name) DO UPDATE SET length = length + ?2 RETURNING length");
    auto trim = prepare(
        "DELETE FROM message WHERE id IN (SELECT id FROM message WHERE queue = ?1 ORDER BY id LIMIT ?2)");
    auto count = prepare("UPDATE queue SET length = length - ?2, dropped = dropped + ?2 WHERE name = ?1");
    for (auto [name, n] : added) {
      bind_text(grow.get(), 1, name);
      sqlite3_bind_int64(grow.get(), 2, n);
      if (sqlite3_step(grow.get()) != SQLITE_ROW) fail("count");
      int64_t length = sqlite3_column_int64(grow.get(), 0);
      sqlite3_reset(grow.get());
      if (retain <= 0 || length <= retain) continue;
      for (auto* s : {trim.get(), count.get()}) {
        bind_text(s, 1, name);
        sqlite3_bind_int64(s, 2, length - retain);
        if (sqlite3_step(s) != SQLITE_DONE) fail("trim");
        sqlite3_reset(s);
      }
    }
    return true;
  });
}

void store::count_dropped(const std::map<std::string, int64_t>& dropped) {
  if (dropped.empty()) return;
  transact([&] {
    auto add = prepare(
        "INSERT INTO queue(name, dropped) VALUES(?1, ?2) ON CONFLICT(name) DO UPDATE SET dropped = dropped + ?2");
    for (auto& [name, n] : dropped) {
      bind_text(add.get(), 1, name);
      sqlite3_bind_int64(add.get(), 2, n);
      if (sqlite3_step(add.get()) != SQLITE_DONE) fail("count dropped");
      sqlite3_reset(add.get());
    }
    return true;
  });
}

std::optional<stored_message> store::pop(std::string_view queue) {
  return transact([&]() -> std::optional<stored_message> {
    auto first = prepare("SELECT id, queue, body FROM message WHERE queue = ?1 ORDER BY id LIMIT 1");
    bind_text(first.get(), 1, queue);
    auto found = messages(first.get(), "pop");
    if (found.empty()) return std::nullopt;
    auto del = prepare("DELETE FROM message WHERE id = ?1");
    sqlite3_bind_int64(del.get(), 1, found[0].id);
    if (sqlite3_step(del.get()) != SQLITE_DONE) fail("pop");
    auto shrink = prepare("UPDATE queue SET length = length - 1 WHERE name = ?1");
    bind_text(shrink.get(), 1, queue);
    if (sqlite3_step(shrink.get()) != SQLITE_DONE) fail("pop");
    return std::move(found[0]);
  });
}

std::vector<stored_message> store::tail(std::string_view queue, size_t n, int64_t after) {
  auto q = prepare(
      "SELECT id, queue, body FROM (SELECT id, queue, body FROM message WHERE queue = ?1 AND id > ?2 "
      "ORDER BY id DESC LIMIT ?3) ORDER BY id");
  bind_text(q.get(), 1, queue);
  sqlite3_bind_int64(q.get(), 2, after);
  sqlite3_bind_int64(q.get(), 3, n == 0 ? -1 : static_cast<int64_t>(n));
  return messages(q.get(), "tail");
}

std::vector<queue_info> store::list() {
  auto q = prepare("SELECT name, length, dropped FROM queue ORDER BY name");
  std::vector<queue_info> out;
  int rc;
  while ((rc = sqlite3_step(q.get())) == SQLITE_ROW)
    out.push_back({column_text(q.get(), 0), sqlite3_column_int64(q.get(), 1), sqlite3_column_int64(q.get(), 2)});
  if (rc != SQLITE_DONE) fail("list");
  return out;
}

void store::append_outbox(std::span<const outgoing> batch) {
  if (batch.empty()) return;
  transact([&] {
    insert_all("INSERT INTO outbox(queue, body) VALUES(?1, ?2)", batch);
    return true;
  });
}

std::vector<stored_message> store::outbox_after(int64_t after, size_t limit) {
  auto q = prepare("SELECT id, queue, body FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2");
  sqlite3_bind_int64(q.get(), 1, after);
  sqlite3_bind_int64(q.get(), 2, static_cast<int64_t>(limit));
  return messages(q.get(), "outbox read");
}

void store::remove_outbox_through(int64_t id) {
  auto del = prepare("DELETE FROM outbox WHERE id <= ?1");
  sqlite3_bind_int64(del.get(), 1, id);
  if (sqlite3_step(del.get()) != SQLITE_DONE) fail("outbox delete");
}

void store::checkpoint() {
  if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) != SQLITE_OK)
    fail("checkpoint");
}

void store::checkpoint_and_truncate() {
  // No waiting: a writer or reader in the way turns this into a PASSIVE checkpoint (SQLITE_BUSY),
  // and the next idle moment tries again.
  sqlite3_busy_timeout(db_, 0);
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) fail("checkpoint");
}

int64_t store::outbox_length() {
  auto q = prepare("SELECT count(*) FROM outbox");
  if (sqlite3_step(q.get()) != SQLITE_ROW) fail("outbox count");
  return sqlite3_column_int64(q.get(), 0);
}

}  // namespace taskmux::reports
