#include "migrate/explain.hpp"

#include "migrate/section_reader.hpp"

#include <algorithm>

namespace taskmux::migrate {
namespace {

bool is_true(std::string_view v) {
  auto s = ascii_lower(v);
  return s == "true" || s == "yes" || s == "on" || s == "1";
}

bool is_zero(std::string_view v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c == '0'; });
}

/// stdout_logfile / stderr_logfile.
explanation log_file(std::string_view stream, std::string_view value, std::string_view task) {
  auto v = ascii_lower(value);
  std::string own = "taskmux forwards the task's " + std::string(stream) +
                    " to its own, each line "
                    "prefixed \"" +
                    std::string(task) + "[0] | \" (the last lines: `taskmux logs " +
                    std::string(task) + "`)";
  bool to_stdout = v == "/dev/stdout" || v == "/dev/fd/1" || v == "/proc/self/fd/1";
  bool to_stderr = v == "/dev/stderr" || v == "/dev/fd/2" || v == "/proc/self/fd/2";
  if (to_stdout || to_stderr)
    return {"supervisord copied it to its own " + std::string(to_stdout ? "stdout" : "stderr") +
                "; " + own + "; no file is written",
            (stream == "stdout") != to_stdout};
  if (v == "auto") return {"supervisord kept it in a file of its own; " + own, false};
  if (v == "none" || v == "off")
    return {"supervisord discarded it; " + own +
            " (to discard it, redirect it in the command: sh -c 'exec PROGRAM >/dev/null')"};
  if (v == "syslog") return {"supervisord sent it to syslog; " + own};
  return {"supervisord wrote it to this file; " + own +
          "; no file is written (to keep one, let the program write it, or collect taskmux's "
          "output with `docker logs` or journald)"};
}

}  // namespace

explanation explain_program_key(const program& p, const setting& s, std::string_view task) {
  auto& k = s.key;
  auto& v = s.text;
  if (k == "process_name")
    return {"names the processes in supervisorctl; taskmux names the instances " +
                std::string(task) + "[0], " + std::string(task) + "[1], ...",
            false};
  if (k == "numprocs_start")
    return {"supervisord numbered the processes from " + v +
                "; instance i here is supervisord's "
                "process " +
                v + "+i, which the command computes where it used %(process_num)",
            false};
  if (k == "autostart")
    return {is_true(v) ? "taskmux starts every task it has"
                       : "supervisord left it stopped until "
                         "`supervisorctl start`; taskmux starts every task it has, so the task is "
                         "commented out",
            !is_true(v)};
  if (k == "exitcodes") {
    bool only_zero = p.exitcodes.size() == 1 && p.exitcodes[0] == 0;
    if (only_zero || p.autorestart != autorestart::unexpected)
      return {only_zero
                  ? "taskmux too counts exit 0, and only exit 0, as a success"
                  : "only labelled exits as expected or not; taskmux counts exit 0 as a success",
              false};
    return {
        "supervisord restarted the program after an exit with another code; taskmux's "
        "restart = \"on-failure\" restarts after any non-zero exit and not after exit 0 (to "
        "change that, wrap the command: sh -c 'PROGRAM; s=$?; [ $s -eq 2 ] && exit 0; exit $s')"};
  }
  if (k == "stopasgroup")
    return {
        "the stop signal goes to the main process only (kill_mode = \"mixed\", the default); "
        "what it leaves gets the signal once it is gone",
        false};
  if (k == "killasgroup")
    return {
        "taskmux always sends SIGKILL to every process of the instance still there after "
        "stop_timeout, whatever this says",
        !is_true(v)};
  if (k == "umask")
    return {
        "taskmux gives its tasks the umask it was started with (to set this one: "
        "sh -c 'umask " +
        v + "; exec PROGRAM')"};
  if (k == "redirect_stderr")
    return {
        is_true(v)
            ? "supervisord merged stderr into the stdout log; taskmux forwards stderr to its own "
              "stderr, prefixed the same way (to merge them: sh -c 'exec PROGRAM 2>&1')"
            : "taskmux keeps stderr apart, as supervisord did",
        is_true(v)};
  if (k == "stdout_logfile") return log_file("stdout", v, task);
  if (k == "stderr_logfile") return log_file("stderr", v, task);
  if (k.ends_with("_logfile_maxbytes") || k.ends_with("_logfile_backups"))
    return {"taskmux writes no log file, so nothing is rotated", false};
  if (k.ends_with("_capture_maxbytes"))
    return {
        "supervisord's capture mode (PROCESS_COMMUNICATION events) has no equivalent; a task "
        "reports with `taskmux notify --status/--fault/--success`",
        !is_zero(v)};
  if (k.ends_with("_events_enabled"))
    return {
        "taskmux has no event listeners; every start, exit and fault is a report on the "
        "queues _status_" +
            std::string(task) + " and _fault_" + std::string(task),
        is_true(v)};
  if (k.ends_with("_syslog"))
    return {"taskmux does not write to syslog; its output goes to its stdout and stderr",
            is_true(v)};
  if (k == "serverurl")
    return {"taskmux has no XML-RPC server and sets no SUPERVISOR_SERVER_URL", ascii_lower(v) != "auto"};
  if (k == "startsecs" || k == "startretries") return {"see start_limit above", false};
  return {"not a key supervisord knows: it ignored it, and so does this conversion"};
}

explanation explain_supervisord_key(std::string_view key, std::string_view value) {
  auto v = ascii_lower(value);
  if (key == "nodaemon")
    return {"taskmux always runs in the foreground, as a container's PID 1 must", !is_true(v)};
  if (key == "logfile")
    return {"taskmux writes its own lines to its stderr; there is no log file",
            v != "/dev/null" && v != "/dev/stdout" && v != "/dev/stderr"};
  if (key == "logfile_maxbytes" || key == "logfile_backups" || key == "childlogdir" ||
      key == "nocleanup")
    return {"taskmux writes no log file", false};
  if (key == "pidfile")
    return {
        "taskmux writes no pid file; `taskmux status` reaches it through <state_dir>/control.sock"};
  if (key == "umask")
    return {
        "taskmux gives its tasks the umask it was started with (set it before starting "
        "taskmux, or per task with sh -c 'umask " +
        std::string(value) + "; exec PROGRAM')"};
  if (key == "user")
    return {
        "taskmux runs as the user that starts it (the image's USER, `docker run --user`); a "
        "task's `user` drops privileges for that task"};
  if (key == "directory")
    return {
        "taskmux stays in the directory it was started in; relative paths in config.toml are "
        "relative to the file's own directory"};
  if (key == "minfds" || key == "minprocs")
    return {
        "taskmux does not raise its tasks' limits; set them before starting it (`docker run "
        "--ulimit`, `ulimit -n`)"};
  if (key == "silent") return {"taskmux always writes its tasks' output", is_true(v)};
  if (key == "strip_ansi") return {"taskmux forwards output as the task wrote it", is_true(v)};
  if (key == "identifier")
    return {
        "names supervisord on its XML-RPC interface; taskmux's [supervisor] name (default: the "
        "host name) names its reports",
        false};
  if (key == "environment") return {"added to the env of every task below", false};
  if (key == "loglevel") return {"see log_level above", false};
  return {"not a key supervisord knows: it ignored it, and so does this conversion"};
}

explanation explain_server_key(std::string_view section, std::string_view key,
                               std::string_view value) {
  if (section == "inet_http_server" && key == "port")
    return {
        "taskmux's HTTP server ([http] below, commented out) serves a dashboard, /status and "
        "/metrics, not supervisord's XML-RPC",
        true};
  if ((section == "inet_http_server" || section == "unix_http_server") &&
      (key == "username" || key == "password"))
    return {
        "taskmux's HTTP server takes a bearer token instead ([http] token); its control socket "
        "is open to its own user only"};
  if (section == "unix_http_server")
    return {
        "taskmux's control socket is <state_dir>/control.sock, mode 0600, owned by taskmux's user"};
  if (section == "supervisorctl")
    return {
        "taskmux's commands find the control socket from config.toml (or --socket, "
        "$TASKMUX_SOCKET); they need no settings",
        false};
  if (section.starts_with("rpcinterface:"))
    return {"taskmux has no XML-RPC interface; its control socket and HTTP API replace it",
            !(key == "supervisor.rpcinterface_factory" &&
              value == "supervisor.rpcinterface:make_main_rpcinterface")};
  return {"no equivalent in taskmux"};
}

std::string explain_section(std::string_view section) {
  if (section == "unix_http_server")
    return "the socket supervisorctl talks to: taskmux's commands (status, start, stop, restart, "
           "logs, reload) use its control socket, <state_dir>/control.sock";
  if (section == "inet_http_server")
    return "supervisord's web page and XML-RPC on TCP: taskmux serves a dashboard, /status and "
           "/metrics with an [http] table";
  if (section == "supervisorctl") return "settings of supervisorctl: taskmux's commands need none";
  if (section.starts_with("rpcinterface:"))
    return "an XML-RPC interface of supervisord: taskmux has none; its control socket and HTTP API "
           "replace it";
  if (section == "include") return "read while converting: its programs are below";
  if (section.starts_with("group:"))
    return "taskmux has no groups: name the tasks in a command (`taskmux restart a b`) or use "
           "--all; "
           "the group's priority orders its programs (depends_on below)";
  if (section.starts_with("eventlistener:"))
    return "an event listener: supervisord wrote its events to this program's stdin. taskmux has "
           "no "
           "event listeners; every start, exit and fault is a report on the queues _status_<task> "
           "and _fault_<task> (`taskmux queue tail -f _fault_web`) and on HTTP /status. Not "
           "converted";
  if (section.starts_with("fcgi-program:"))
    return "supervisord opened the socket and gave it to each process as its stdin; taskmux makes "
           "no sockets for its tasks. Run the FastCGI server with a socket of its own (e.g. its "
           "--bind option) as a [[task]]. Not converted";
  if (section == "DEFAULT")
    return "keys every section takes when it lacks them: used below where they apply";
  if (section == "supervisord" || section.starts_with("program:")) return "";
  return "not a section supervisord knows: it ignored it, and so does this conversion";
}

}  // namespace taskmux::migrate
