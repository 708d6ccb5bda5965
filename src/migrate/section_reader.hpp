// The keys of one supervisord section read as supervisord's `get` reads them: expanded with the
// names the key may use, as text known now, as Python's int() or supervisord's boolean; every
// problem as FILE:LINE.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/ini.hpp"
#include "migrate/percent_format.hpp"
#include "migrate/shlex.hpp"

namespace taskmux::migrate {

/// The names a value may use, besides `here` (the directory of the file it is written in).
struct names {
  std::map<std::string, binding, std::less<>> fixed;
  std::vector<const key_values*> envs;  ///< ENV_X from these first (most specific first)
  bool* uses_host_node_name = nullptr;  ///< set when a value used %(host_node_name)s
};

/// What `name` stands for in a value written at `where`: fixed names, ENV_X from `envs`, else
/// a reference to the variable X that taskmux reads at load (X must be [A-Za-z_][A-Za-z0-9_]*).
std::optional<binding> look_up(const names& n, const source& where, std::string_view name);

/// Python's int(): optional sign, digits with single underscores between them, spaces around.
std::optional<long> parse_integer(std::string_view s);

std::string_view strip_blanks(std::string_view s);
std::string ascii_lower(std::string_view s);

class section_reader {
 public:
  /// `notes`: where to say that a value was taken from the environment of the conversion.
  section_reader(const ini_document& doc, const ini_section& section, const host_facts& host,
                 std::vector<ini_note>& errors, std::vector<std::string>* notes = nullptr)
      : doc_(doc), section_(section), host_(host), errors_(errors), notes_(notes) {}

  /// The key as written (or as [DEFAULT] has it); nothing when absent.
  const ini_value* raw(std::string_view key) const { return doc_.get(section_, key); }
  /// Adds "[section] message" at `where` to the errors.
  void error(const source& where, const std::string& message);

  /// The key's value after %(name)s expansion; nothing when absent or wrong (reported).
  std::optional<pieces> expanded(std::string_view key, const names& n);
  /// The value as text known now: %(ENV_X)s is read from the environment of the conversion.
  std::optional<std::string> literal(std::string_view key, const names& n);
  long integer(std::string_view key, long fallback, const names& n);
  /// supervisord's boolean: yes/true/on/1 or no/false/off/0, any case.
  bool boolean(std::string_view key, bool fallback, const names& n);

 private:
  const ini_document& doc_;
  const ini_section& section_;
  const host_facts& host_;
  std::vector<ini_note>& errors_;
  std::vector<std::string>* notes_;
};

}  // namespace taskmux::migrate
