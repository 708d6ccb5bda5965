// The validated configuration as plain structs: what every other folder reads.
// No toml++ type leaks out of src/config; loading and checking live in load.cpp. Values are
// parsed while loading (addresses, URLs), so no reader parses a config string again.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "config/address.hpp"
#include "config/amqp_url.hpp"

namespace taskmux::config {

using duration = std::chrono::milliseconds;

enum class restart_policy { always, on_failure, never };
/// Who gets stop_signal, as systemd's KillMode: `mixed`, the main process (it stops its own
/// workers, as nginx, gunicorn and PostgreSQL expect); `group`, every process of the instance.
/// Either way SIGKILL goes to everything left after stop_timeout.
enum class kill_mode { mixed, group };
enum class log_format { text, json };
/// taskmux's own lines, in increasing order: `log_level = L` shows level L and above.
enum class log_level {
  debug,    ///< what only helps to find a bug in taskmux
  info,     ///< what happens: starts, exits, signals received, shutdown
  warning,  ///< something is off and was worked around
  error,    ///< something failed: a task's fault, a store that cannot be written
};
enum class report_backend { embedded, amqp };

/// Where a task's command is found: an argv vector, or a string for `/bin/sh -c`.
struct command {
  std::vector<std::string> argv;  ///< for a shell command: {"/bin/sh", "-c", STRING}
  bool is_shell = false;
  bool operator==(const command&) const = default;
};

struct backoff {
  duration initial{100};
  duration max{30'000};
  bool operator==(const backoff&) const = default;
};

struct start_limit {
  int burst = 5;             ///< 0 = no limit
  duration interval{10'000};
  bool operator==(const start_limit&) const = default;
};

/// `ready`: how taskmux decides an instance is ready.
struct ready_started {
  bool operator==(const ready_started&) const = default;
};
struct ready_notify {
  bool operator==(const ready_notify&) const = default;
};
struct ready_tcp {
  host_port address;
  bool operator==(const ready_tcp&) const = default;
};
struct ready_http {
  http_url url;
  bool operator==(const ready_http&) const = default;
};
struct ready_exec {
  std::vector<std::string> argv;
  bool operator==(const ready_exec&) const = default;
};
using ready_check = std::variant<ready_started, ready_notify, ready_tcp, ready_http, ready_exec>;

struct health_check {
  http_url url;  ///< http probe
  duration interval{10'000};
  duration timeout{2'000};
  int failures = 3;
  bool operator==(const health_check&) const = default;
};

/// `input` / `output` channels of a task (SFTP endpoint and/or queue).
struct channel {
  std::optional<std::string> sftp;  ///< name of a [sftp.*] endpoint
  std::string path;
  std::optional<std::string> queue;
  std::optional<std::string> archive;  ///< input only: move processed files here
  int max_attempts = 3;                ///< input queue only
  bool operator==(const channel&) const = default;
};

struct task {
  std::string name;
  command cmd;
  std::filesystem::path workdir;  ///< absolute
  std::map<std::string, std::string> env;
  bool inherit_env = true;
  /// A user of this system, as written (load checks that it exists and can be switched to);
  /// looked up again at each spawn, since /etc/passwd may change while taskmux runs.
  std::optional<std::string> user;
  int instances = 1;
  restart_policy restart = restart_policy::on_failure;
  struct backoff backoff;
  struct start_limit start_limit;
  int stop_signal = 15;
  enum kill_mode kill_mode = kill_mode::mixed;
  duration stop_timeout{10'000};
  std::vector<std::string> depends_on;
  ready_check ready = ready_started{};
  std::optional<health_check> health;
  std::optional<duration> watchdog;
  bool critical = false;
  std::string namespace_;  ///< report queue suffix; defaults to name
  std::optional<duration> every;
  std::optional<duration> timeout;
  std::optional<channel> input;
  std::optional<channel> output;

  bool is_looped() const { return every.has_value(); }
  bool operator==(const task&) const = default;
};

struct supervisor {
  std::string name;
  std::filesystem::path state_dir;  ///< absolute
  duration report_interval{15'000};
  duration shutdown_timeout{30'000};
  enum log_format log_format = log_format::text;
  enum log_level log_level = log_level::info;  ///< taskmux's own lines below it are not written
  bool log_timestamps = false;  ///< text format: taskmux's own lines begin with the UTC time
  bool watch = false;  ///< reload when the config file changes
  bool operator==(const supervisor&) const = default;
};

struct reports {
  report_backend backend = report_backend::embedded;
  amqp_target url{.host = "127.0.0.1"};  ///< amqp://guest:guest@127.0.0.1:5672/%2f
  int retain = 10'000;
  bool operator==(const reports&) const = default;
};

struct http {
  host_port listen{"127.0.0.1", 8080};
  std::string token;
  bool operator==(const http&) const = default;
};

struct sftp_endpoint {
  std::string name;
  host_port address{"", 22};  ///< keys `host` and `port`
  std::string user;
  std::optional<std::string> password;
  std::optional<std::filesystem::path> identity;
  std::string known_hosts;  ///< a path, or "accept-new"
  bool operator==(const sftp_endpoint&) const = default;
};

/// Where something is written in the config file, 1-based (0: nowhere).
struct text_position {
  int line = 0;
  int column = 0;
};

struct config {
  std::filesystem::path file;  ///< absolute path of the file it was read from
  struct supervisor supervisor;
  struct reports reports;
  std::optional<struct http> http;
  std::map<std::string, sftp_endpoint> sftp;
  std::vector<task> tasks;
  /// Environment variables named by ${VAR} in taskmux's own secrets (reports.url, http.token,
  /// sftp passwords): tasks do not inherit them, only get them through their own `env`.
  std::set<std::string> secret_vars;
  /// Where each task's command is written (tasks[i]'s at [i]: its program in an argv, else
  /// the string), for warnings about the system it runs on, which loading does not look at.
  std::vector<text_position> command_at;

  /// A linear scan: for a few look-ups, not one per task (validate() indexes the tasks once).
  const task* find_task(std::string_view name) const;
};

std::string_view to_string(restart_policy);

}  // namespace taskmux::config
