// Typed access to one TOML table that records which keys were read, so that every key left
// over is reported as unknown, and every type or range problem lands in the diagnostics.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>
#include <toml++/toml.h>

#include "config/diagnostics.hpp"
#include "config/expand.hpp"
#include "config/model.hpp"

namespace taskmux::config {

/// What is wrong with a string or key that holds a NUL character.
inline constexpr const char* nul_message = "must not contain a NUL character (\\u0000)";

/// The [[task]] table being read, for the hint on a ${VAR} that only its `env` sets.
struct task_scope {
  const toml::table* env = nullptr;     ///< its `env` table, if it has one
  const toml::node* command = nullptr;  ///< its `command` value
};

/// Shared by all readers of one file.
struct reader_context {
  std::string file;                 ///< as shown in diagnostics
  std::filesystem::path base_dir;   ///< relative paths are relative to this
  const env_lookup& env;
  diagnostics& problems;
  std::string_view text = {};       ///< the whole file, to place a problem inside a string
  diagnostics* warnings = nullptr;  ///< where warn() puts them; none: dropped
  task_scope task = {};             ///< inside a [[task]]; empty elsewhere

  void error(const toml::source_region&, std::string message);
  void warn(const toml::source_region&, std::string message);
  /// Byte offset in `text` where 1-based `line` starts (text.size() past the last line).
  size_t line_start(size_t line);

  std::vector<size_t> line_starts = {};  ///< of `text`, filled by the first line_start()
};

class table_reader {
 public:
  table_reader(const toml::table& table, reader_context& ctx) : table_(table), ctx_(ctx) {}

  bool has(const char* key) const { return table_.contains(key); }
  const toml::node* node(const char* key);

  /// Each accessor returns nothing when the key is absent or invalid (the latter is reported).
  std::optional<std::string> string(const char* key);  ///< ${VAR} expanded
  /// string(), for a secret of taskmux's own: adds each VAR of its ${VAR}s to `vars`.
  std::optional<std::string> secret_string(const char* key, std::set<std::string>& vars);
  std::optional<int64_t> integer(const char* key, int64_t min, int64_t max);
  std::optional<bool> boolean(const char* key);
  std::optional<duration> positive_duration(const char* key, bool allow_zero = false);
  std::optional<std::filesystem::path> path(const char* key);  ///< absolute
  std::optional<std::string> one_of(const char* key, std::initializer_list<const char*> allowed);
  std::optional<std::vector<std::string>> string_array(const char* key, bool non_empty);
  /// A HOST:PORT string (config/address.hpp); `what` names the key in the message.
  std::optional<host_port> address(const char* key, std::string_view what);
  /// An http:// URL (config/address.hpp); `what` names the key in the message.
  std::optional<http_url> url(const char* key, std::string_view what);
  const toml::table* table(const char* key);
  const toml::array* array(const char* key);

  /// Expands ${VAR} in a string node's value (from `env`, else the context's); reports failures,
  /// and a NUL character, at the node. Inside a [[task]], a ${VAR} that taskmux lacks and the
  /// task's env sets gets env_only_hint(): on the error, or on a warning when a default was used.
  std::optional<std::string> expand_node(const toml::node& n, std::string_view what,
                                         const env_lookup* env = nullptr);
  std::optional<duration> duration_node(const toml::node& n, std::string_view what, bool allow_zero);

  void error(const char* key, std::string message);  ///< at the key's value
  void error_here(std::string message);               ///< at the table itself
  /// Reports every key that no accessor asked for, with the asked-for key it most likely
  /// means (config/key_suggestion.hpp): every reader asks for all the keys of its table.
  void finish();

  reader_context& context() { return ctx_; }

 private:
  const toml::node* mark(const char* key);
  expansion_site site_of(const toml::node& n) const;
  bool is_task_env_var(const std::string& name) const;
  std::string type_name(const toml::node& n) const;

  const toml::table& table_;
  reader_context& ctx_;
  std::set<std::string, std::less<>> seen_;
};

}  // namespace taskmux::config
