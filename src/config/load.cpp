#include "config/load.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <set>
#include <cstring>
#include <sstream>
#include <toml++/toml.h>

#include "config/duration.hpp"
#include "config/signal_names.hpp"
#include "config/read_task.hpp"
#include "config/table_reader.hpp"
#include "config/validate.hpp"
#include "reports/amqp_url.hpp"

namespace taskmux::config {
namespace {

bool is_valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
      return false;
  return true;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "taskmux";
  return buf;
}

void read_name(table_reader& r, const char* key, std::string& out, bool required) {
  if (auto v = r.string(key)) {
    if (!is_valid_name(*v))
      r.error(key, std::string(key) + " \"" + *v + "\" must match [A-Za-z0-9_.-]+ (at most 64)");
    else
      out = *v;
  } else if (required && !r.has(key)) {
    r.error_here(std::string("missing required key '") + key + "'");
  }
}

void read_supervisor(table_reader r, config& c) {
  auto& s = c.supervisor;
  s.name = host_name();
  read_name(r, "name", s.name, false);
  s.state_dir = r.path("state_dir").value_or(c.file.parent_path() / ".taskmux");
  if (auto d = r.positive_duration("report_interval")) s.report_interval = *d;
  if (auto d = r.positive_duration("shutdown_timeout")) s.shutdown_timeout = *d;
  if (auto f = r.one_of("log_format", {"text", "json"}))
    s.log_format = *f == "json" ? log_format::json : log_format::text;
  if (auto l = r.one_of("log_level", {"debug", "info", "warning", "error"}))
    s.log_level = logs::parse(*l).value_or(logs::level::info);
  r.finish();
}

void read_reports(table_reader r, config& c) {
  auto& rep = c.reports;
  if (auto b = r.one_of("backend", {"embedded", "amqp"}))
    rep.backend = *b == "amqp" ? report_backend::amqp : report_backend::embedded;
  if (auto u = r.secret_string("url", c.secret_vars)) {
    std::string why;
    if (!taskmux::reports::parse_amqp_url(*u, why)) r.error("url", why);
    rep.url = *u;
  }
  if (auto n = r.integer("retain", 1, 100'000'000)) rep.retain = static_cast<int>(*n);
  r.finish();
}

bool is_host_port(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char ch : port)
    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
  int p = std::stoi(std::string(port));
  return p > 0 && p < 65536;
}

void read_http(table_reader r, config& c) {
  struct http h;
  if (auto l = r.string("listen")) {
    if (!is_host_port(*l)) r.error("listen", "listen \"" + *l + "\" must be HOST:PORT");
    h.listen = *l;
  }
  if (auto t = r.secret_string("token", c.secret_vars)) h.token = *t;
  c.http = h;
  r.finish();
}

void read_sftp(table_reader r, const std::string& name, config& c) {
  sftp_endpoint e;
  e.name = name;
  if (!is_valid_name(name)) r.error_here("sftp endpoint name \"" + name + "\" must match [A-Za-z0-9_.-]+");
  if (auto h = r.string("host")) e.host = *h;
  else if (!r.has("host")) r.error_here("sftp." + name + ": missing required key 'host'");
  if (auto p = r.integer("port", 1, 65535)) e.port = static_cast<int>(*p);
  if (auto u = r.string("user")) e.user = *u;
  else if (!r.has("user")) r.error_here("sftp." + name + ": missing required key 'user'");
  e.password = r.secret_string("password", c.secret_vars);
  e.identity = r.path("identity");
  if (!e.password && !e.identity && !r.has("password") && !r.has("identity"))
    r.error_here("sftp." + name + ": set 'password' or 'identity'");
  if (auto k = r.string("known_hosts")) {
    e.known_hosts = *k == "accept-new" ? *k : (c.file.parent_path() / *k).lexically_normal().string();
  }
  c.sftp.emplace(name, std::move(e));
  r.finish();
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  if (const char* v = std::getenv(name.c_str())) return std::string(v);
  return std::nullopt;
}

load_result load_string(std::string_view text, const std::filesystem::path& file_in,
                        const env_lookup& env_in) {
  load_result result;
  const env_lookup env = env_in ? env_in : env_lookup(process_env);
  auto file = std::filesystem::absolute(file_in).lexically_normal();
  const std::string shown = file_in.string();
  toml::table root;
  try {
    root = toml::parse(text, shown);
  } catch (const toml::parse_error& e) {
    result.problems.push_back({shown, static_cast<int>(e.source().begin.line),
                               static_cast<int>(e.source().begin.column),
                               std::string(e.description())});
    return result;
  }
  config c;
  c.file = file;
  reader_context ctx{shown, file.parent_path(), env, result.problems, text};
  table_reader top(root, ctx);

  // [supervisor] first: state_dir is the default anchor of other paths.
  if (auto* t = top.table("supervisor")) read_supervisor(table_reader(*t, ctx), c);
  else read_supervisor(table_reader(toml::table{}, ctx), c);
  if (auto* t = top.table("reports")) read_reports(table_reader(*t, ctx), c);
  if (auto* t = top.table("http")) read_http(table_reader(*t, ctx), c);
  if (auto* t = top.table("sftp")) {
    for (auto&& [name, node] : *t) {
      if (auto* ep = node.as_table())
        read_sftp(table_reader(*ep, ctx), std::string(name.str()), c);
      else
        ctx.error(node.source(), "sftp." + std::string(name.str()) + " must be a table [sftp." +
                                     std::string(name.str()) + "]");
    }
  }
  for (auto& [name, ep] : c.sftp)
    if (ep.known_hosts.empty()) ep.known_hosts = (c.supervisor.state_dir / "known_hosts").string();
  read_tasks(top, c, ctx);
  top.finish();
  validate(root, c, ctx);
  // In file order, as a compiler lists them (the readers find them table by table).
  std::stable_sort(result.problems.begin(), result.problems.end(), [](const diagnostic& a, const diagnostic& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  if (result.problems.empty()) result.value = std::move(c);
  return result;
}

load_result load(const std::filesystem::path& file, const env_lookup& env) {
  std::ifstream in;
  std::error_code ec;
  // An ifstream opens a directory without complaint and reads it as an empty, valid file.
  if (std::filesystem::is_directory(file, ec))
    errno = EISDIR;
  else
    in.open(file, std::ios::binary);
  if (!in.is_open()) {
    load_result r;
    r.problems.push_back({file.string(), 0, 0, "unable to read config file: " +
                                                   std::string(std::strerror(errno))});
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return load_string(ss.str(), file, env);
}

}  // namespace taskmux::config
