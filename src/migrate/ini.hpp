// supervisord.conf read the way supervisord reads it: Python's RawConfigParser with
// supervisord's settings (';' and '#' comments, inline after whitespace; indented continuation
// lines; keys lower-cased; repeated sections merged), then the files of [include].
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace taskmux::migrate {

/// A place in a supervisord file; line 0 is the file as a whole.
struct source {
  std::string file;  ///< as shown to the user: the path given, or an included file's path
  int line = 0;

  /// "FILE:LINE" (or "FILE" for line 0).
  std::string to_string() const;
  /// The directory of the file, absolute: supervisord's %(here)s for values written there.
  std::string here() const;
};

struct ini_value {
  std::string text;  ///< continuation lines joined with '\n', trailing blank lines removed
  source where;      ///< the line of its key
};

struct ini_section {
  std::string name;                                        ///< as in the header, e.g. "program:web"
  source where;                                            ///< the header that opened it first
  std::vector<std::pair<std::string, ini_value>> entries;  ///< lower-cased keys, first-set order

  const ini_value* find(std::string_view key) const;
};

/// A problem of the input, or something left out while reading it.
struct ini_note {
  source where;
  std::string message;

  /// "FILE:LINE: message".
  std::string to_string() const;
};

struct ini_document {
  std::vector<ini_section> sections;  ///< in order of first appearance; [DEFAULT] is apart
  ini_section defaults;               ///< [DEFAULT]: every section's fallback for a key
  std::vector<ini_note> notes;        ///< unmatched include patterns, nested [include]s
  std::vector<std::string> included;  ///< files read for [include], in reading order

  const ini_section* find(std::string_view name) const;
  /// A key of a section, else of [DEFAULT], as RawConfigParser.get.
  const ini_value* get(const ini_section& section, std::string_view key) const;
};

/// What the host of the conversion tells: its environment (for %(ENV_X)s in [include]) and
/// its node name (%(host_node_name)s).
struct host_facts {
  std::function<std::optional<std::string>(const std::string&)> env;
  std::string node_name;
};

/// The facts of this process and machine.
host_facts this_host();

/// Parses the text of one file into `doc` as RawConfigParser.read does: a section seen before
/// gets more keys, a key set again is replaced. Returns every line that cannot be read.
std::vector<ini_note> parse_ini(std::string_view text, const std::string& file, ini_document& doc);

/// Reads `file` and the files its [include] names (globs relative to `file`'s directory,
/// sorted per pattern), as supervisord does: an [include] inside an included file is not
/// followed (noted in `notes`). Errors name FILE:LINE.
std::variant<ini_document, std::vector<ini_note>> read_supervisord_conf(const std::string& file,
                                                                        const host_facts& host);

}  // namespace taskmux::migrate
