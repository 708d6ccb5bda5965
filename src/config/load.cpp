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

#include "config/amqp_url.hpp"
#include "config/duration.hpp"
#include "config/name.hpp"
#include "config/read_task.hpp"
#include "config/table_reader.hpp"
#include "config/validate.hpp"

namespace taskmux::config {
namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "taskmux";
  return buf;
}

void read_supervisor(table_reader r, config& c) {
  auto& s = c.supervisor;
  s.name = host_name();
  if (auto n = r.string("name")) {
    if (is_valid_name(*n))
      s.name = *n;
    else
      r.error("name", invalid_name_message("supervisor name", *n));
  }
  s.state_dir = r.path("state_dir").value_or(c.file.parent_path() / ".taskmux");
  if (auto d = r.positive_duration("report_interval")) s.report_interval = *d;
  if (auto d = r.positive_duration("shutdown_timeout")) s.shutdown_timeout = *d;
  if (auto f = r.one_of("log_format", {"text", "json"}))
    s.log_format = *f == "json" ? log_format::json : log_format::text;
  if (auto l = r.one_of("log_level", {"debug", "info", "warning", "error"}))
    s.log_level = *l == "debug" ? log_level::debug : *l == "warning" ? log_level::warning
                  : *l == "error" ? log_level::error : log_level::info;
  if (auto t = r.boolean("log_timestamps")) s.log_timestamps = *t;
  if (auto w = r.boolean("watch")) s.watch = *w;
  r.finish();
}

void read_reports(table_reader r, config& c) {
  auto& rep = c.reports;
  if (auto b = r.one_of("backend", {"embedded", "amqp"}))
    rep.backend = *b == "amqp" ? report_backend::amqp : report_backend::embedded;
  if (auto u = r.secret_string("url", c.secret_vars)) {
    std::string why;
    if (auto target = parse_amqp_url(*u, why))
      rep.url = std::move(*target);
    else
      r.error("url", "reports.url: " + why);  // never the URL itself: it holds the password
  }
  if (auto n = r.integer("retain", 1, 100'000'000)) rep.retain = static_cast<int>(*n);
  r.finish();
}

void read_http(table_reader r, config& c) {
  struct http h;
  if (auto l = r.address("listen", "http.listen")) h.listen = std::move(*l);
  if (auto t = r.secret_string("token", c.secret_vars)) h.token = *t;
  c.http = h;
  r.finish();
}

void read_sftp(table_reader r, const std::string& name, config& c) {
  sftp_endpoint e;
  e.name = name;
  if (!is_valid_name(name)) r.error_here(invalid_name_message("sftp endpoint name", name));
  if (auto h = r.string("host")) {
    std::string why;
    if (auto host = parse_host(*h, why))
      e.address.host = std::move(*host);
    else
      r.error("host",
              "sftp." + name + ".host \"" + *h + "\" must be a host name or address: " + why);
  } else if (!r.has("host")) {
    r.error_here("sftp." + name + ": missing required key 'host'");
  }
  if (auto p = r.integer("port", 1, 65535)) e.address.port = static_cast<uint16_t>(*p);
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
  reader_context ctx{shown, file.parent_path(), env, result.problems, text, &result.warnings};
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
  auto by_place = [](const diagnostic& a, const diagnostic& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  };
  std::stable_sort(result.problems.begin(), result.problems.end(), by_place);
  std::stable_sort(result.warnings.begin(), result.warnings.end(), by_place);
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
