#include "config/table_reader.hpp"

#include "config/duration.hpp"
#include "config/key_suggestion.hpp"

namespace taskmux::config {
namespace {

/// Where the "${" at byte `offset` of a string node's value is written. The value can differ
/// from its source (escapes, multi-line strings, non-ASCII text), so the k-th "${" of the value
/// is found as the k-th "${" of the node's source text; columns count code points, as toml++'s do.
toml::source_position reference_position(reader_context& ctx, const toml::node& n,
                                         std::string_view value, size_t offset) {
  const std::string_view text = ctx.text;
  const auto region = n.source();
  toml::source_position fallback = region.begin;
  fallback.column += static_cast<toml::source_index>(offset + 1);  // +1: the opening quote
  size_t nth = 0;
  for (size_t at = value.find("${"); at < offset; at = value.find("${", at + 2))
    ++nth;

  size_t pos = ctx.line_start(region.begin.line);
  if (pos >= text.size()) return fallback;
  toml::source_position here{region.begin.line, 1};
  auto step = [&] {
    auto c = static_cast<unsigned char>(text[pos]);
    if (c == '\n') {
      ++here.line;
      here.column = 1;
      ++pos;
      return;
    }
    pos += c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 1;
    ++here.column;
  };
  while (here.column < region.begin.column && pos < text.size())
    step();
  auto before_end = [&] {
    return here.line < region.end.line ||
           (here.line == region.end.line && here.column < region.end.column);
  };
  while (pos + 1 < text.size() && before_end()) {
    if (text[pos] == '$' && text[pos + 1] == '{') {
      if (nth == 0) return here;
      --nth;
      step();
    }
    step();
  }
  return fallback;
}

}  // namespace

void reader_context::error(const toml::source_region& where, std::string message) {
  problems.push_back({file, static_cast<int>(where.begin.line), static_cast<int>(where.begin.column),
                      std::move(message)});
}

void reader_context::warn(const toml::source_region& where, std::string message) {
  if (!warnings) return;
  warnings->push_back({file, static_cast<int>(where.begin.line),
                       static_cast<int>(where.begin.column), std::move(message), true});
}

size_t reader_context::line_start(size_t line) {
  // Once per file, not per problem: a file with a problem on each of its many tables was read
  // from its first line again for each one.
  if (line_starts.empty()) {
    line_starts.push_back(0);
    for (size_t at = text.find('\n'); at != std::string_view::npos; at = text.find('\n', at + 1))
      line_starts.push_back(at + 1);
  }
  return line >= 1 && line <= line_starts.size() ? line_starts[line - 1] : text.size();
}

const toml::node* table_reader::mark(const char* key) {
  seen_.insert(key);
  return table_.get(key);
}

const toml::node* table_reader::node(const char* key) { return mark(key); }

std::string table_reader::type_name(const toml::node& n) const {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date/time";
  }
}

void table_reader::error(const char* key, std::string message) {
  if (auto* n = table_.get(key)) ctx_.error(n->source(), std::move(message));
  else error_here(std::move(message));
}

void table_reader::error_here(std::string message) { ctx_.error(table_.source(), std::move(message)); }

expansion_site table_reader::site_of(const toml::node& n) const {
  auto* command = ctx_.task.command;
  if (&n == command && n.is_string()) return expansion_site::shell_command;
  if (auto* argv = command ? command->as_array() : nullptr)
    for (auto& element : *argv)
      if (&element == &n) return expansion_site::argv_command;
  return expansion_site::other;
}

bool table_reader::is_task_env_var(const std::string& name) const {
  return ctx_.task.env && ctx_.task.env->contains(name);
}

std::optional<std::string> table_reader::expand_node(const toml::node& n, std::string_view what,
                                                     const env_lookup* env) {
  auto* s = n.as_string();
  if (!s) {
    ctx_.error(n.source(), std::string(what) + " must be a string, not " + type_name(n));
    return std::nullopt;
  }
  auto at = [&](size_t offset) {
    auto where = n.source();
    where.begin = reference_position(ctx_, n, s->get(), offset);
    return where;
  };
  // ${PORT:-8000} with PORT only in the task's env quietly becomes 8000: said, not refused.
  auto on_unset_default = [&](const std::string& name, size_t offset) {
    if (!is_task_env_var(name)) return;
    ctx_.warn(at(offset), std::string(what) + ": ${" + name + ":-...} takes its default, as " +
                              name + " is not set for taskmux; " + env_only_hint(name, site_of(n)));
  };
  auto r = expand(s->get(), env ? *env : ctx_.env,
                  ctx_.task.env ? unset_default_fn(on_unset_default) : unset_default_fn());
  if (auto* err = std::get_if<expand_error>(&r)) {
    std::string message = std::string(what) + ": " + err->message;
    if (is_task_env_var(err->unset_name))
      message += "; " + env_only_hint(err->unset_name, site_of(n));
    ctx_.error(at(err->offset), std::move(message));
    return std::nullopt;
  }
  auto& value = std::get<std::string>(r);
  // Config strings end up as C strings (argv, environment, paths, URLs), which would silently
  // end at the NUL.
  if (value.find('\0') != std::string::npos) {
    ctx_.error(n.source(), std::string(what) + " " + nul_message);
    return std::nullopt;
  }
  return std::move(value);
}

std::optional<std::string> table_reader::string(const char* key) {
  auto* n = mark(key);
  return n ? expand_node(*n, key) : std::nullopt;
}

std::optional<std::string> table_reader::secret_string(const char* key,
                                                       std::set<std::string>& vars) {
  auto* n = mark(key);
  if (!n) return std::nullopt;
  const env_lookup recording = [&](const std::string& name) {
    vars.insert(name);
    return ctx_.env(name);
  };
  return expand_node(*n, key, &recording);
}

std::optional<int64_t> table_reader::integer(const char* key, int64_t min, int64_t max) {
  auto* n = mark(key);
  if (!n) return std::nullopt;
  auto* i = n->as_integer();
  if (!i) {
    error(key, std::string(key) + " must be an integer, not " + type_name(*n));
    return std::nullopt;
  }
  if (i->get() < min || i->get() > max) {
    error(key, std::string(key) + " must be between " + std::to_string(min) + " and " +
                   std::to_string(max) + ", not " + std::to_string(i->get()));
    return std::nullopt;
  }
  return i->get();
}

std::optional<bool> table_reader::boolean(const char* key) {
  auto* n = mark(key);
  if (!n) return std::nullopt;
  if (auto* b = n->as_boolean()) return b->get();
  error(key, std::string(key) + " must be true or false, not " + type_name(*n));
  return std::nullopt;
}

std::optional<duration> table_reader::duration_node(const toml::node& n, std::string_view what,
                                                    bool allow_zero) {
  std::variant<duration, duration_error> d = duration_error::malformed;
  std::string written;  // as the config wrote it, for a duration that is too long
  if (auto* i = n.as_integer()) {
    constexpr auto max_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(max_duration).count();
    if (i->get() > max_seconds)
      d = duration_error::too_long;
    else if (i->get() >= 0)
      d = std::chrono::seconds(i->get());
    written = std::to_string(i->get()) + " seconds";
  } else if (n.is_string()) {
    auto text = expand_node(n, what);
    if (!text) return std::nullopt;
    d = parse_duration_or_error(*text);
    written = "\"" + *text + "\"";
  } else {
    ctx_.error(n.source(), std::string(what) + " must be a duration such as \"10s\", not " + type_name(n));
    return std::nullopt;
  }
  if (auto* e = std::get_if<duration_error>(&d)) {
    if (*e == duration_error::too_long)
      ctx_.error(n.source(), std::string(what) + " must be at most " +
                                 format_duration(max_duration) + " (100 years), not " + written);
    else
      ctx_.error(
          n.source(),
          std::string(what) +
              " is not a valid duration (use \"250ms\", \"10s\", \"5m\", \"1h\" or whole seconds)");
    return std::nullopt;
  }
  if (!allow_zero && std::get<duration>(d).count() == 0) {
    ctx_.error(n.source(), std::string(what) + " must be greater than zero");
    return std::nullopt;
  }
  return std::get<duration>(d);
}

std::optional<duration> table_reader::positive_duration(const char* key, bool allow_zero) {
  auto* n = mark(key);
  return n ? duration_node(*n, key, allow_zero) : std::nullopt;
}

std::optional<std::filesystem::path> table_reader::path(const char* key) {
  auto s = string(key);
  if (!s) return std::nullopt;
  if (s->empty()) {
    error(key, std::string(key) + " must not be empty");
    return std::nullopt;
  }
  // "." and "dir/" normalize to ".../dir/"; without the trailing separator the path compares
  // equal to the same directory written without it (and to the default, the config's directory).
  auto p = (ctx_.base_dir / *s).lexically_normal();
  if (!p.has_filename() && p.has_relative_path()) p = p.parent_path();
  return p;
}

std::optional<std::string> table_reader::one_of(const char* key,
                                                std::initializer_list<const char*> allowed) {
  auto s = string(key);
  if (!s) return std::nullopt;
  std::string list;
  for (auto* a : allowed) {
    if (*s == a) return s;
    list += list.empty() ? "" : ", ";
    list += std::string("\"") + a + "\"";
  }
  error(key, std::string(key) + " must be one of " + list + ", not \"" + *s + "\"");
  return std::nullopt;
}

std::optional<std::vector<std::string>> table_reader::string_array(const char* key, bool non_empty) {
  auto* n = mark(key);
  if (!n) return std::nullopt;
  auto* a = n->as_array();
  if (!a) {
    error(key, std::string(key) + " must be an array of strings, not " + type_name(*n));
    return std::nullopt;
  }
  if (non_empty && a->empty()) {
    error(key, std::string(key) + " must not be empty");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (auto& item : *a) {
    auto s = expand_node(item, std::string(key) + " element");
    if (s) out.push_back(std::move(*s));
    else ok = false;
  }
  return ok ? std::optional(std::move(out)) : std::nullopt;
}

std::optional<host_port> table_reader::address(const char* key, std::string_view what) {
  auto s = string(key);
  if (!s) return std::nullopt;
  std::string why;
  auto parsed = parse_host_port(*s, why);
  if (!parsed) error(key, std::string(what) + " \"" + *s + "\" must be HOST:PORT: " + why);
  return parsed;
}

std::optional<http_url> table_reader::url(const char* key, std::string_view what) {
  auto s = string(key);
  if (!s) return std::nullopt;
  std::string why;
  auto parsed = parse_http_url(*s, why);
  if (!parsed)
    error(key,
          std::string(what) + " \"" + *s + "\" must be an http://HOST[:PORT][/PATH] URL: " + why);
  return parsed;
}

const toml::table* table_reader::table(const char* key) {
  auto* n = mark(key);
  if (!n) return nullptr;
  if (auto* t = n->as_table()) return t;
  error(key, std::string(key) + " must be a table, not " + type_name(*n));
  return nullptr;
}

const toml::array* table_reader::array(const char* key) {
  auto* n = mark(key);
  if (!n) return nullptr;
  if (auto* a = n->as_array()) return a;
  error(key, std::string(key) + " must be an array, not " + type_name(*n));
  return nullptr;
}

void table_reader::finish() {
  for (auto&& [key, value] : table_) {
    if (seen_.count(key.str())) continue;
    std::string message = "unknown key '" + std::string(key.str()) + "'";
    if (auto meant = suggest_key(key.str(), seen_)) message += " (did you mean '" + *meant + "'?)";
    ctx_.error(key.source(), std::move(message));
  }
}

}  // namespace taskmux::config
