// The programs of a supervisord.conf as supervisord reads them: its defaults, its checks of
// each value, its %(name)s expansions. One record per [program:x], [fcgi-program:x] and
// [eventlistener:x]; what they become in taskmux is to_toml's business.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "migrate/ini.hpp"
#include "migrate/pieces.hpp"
#include "migrate/shlex.hpp"

namespace taskmux::migrate {

enum class autorestart { unexpected, always, never };

/// One key of a section as written, for the comments of the conversion.
struct setting {
  std::string key;
  std::string text;  ///< as written (continuation lines joined with '\n')
  source where;
};

struct program {
  std::string kind;             ///< "program", "fcgi-program" or "eventlistener"
  std::string name;             ///< the name after the colon, as supervisord takes it
  std::string group;            ///< the [group:x] that lists it; empty when none
  source where;                 ///< its section header
  std::vector<pieces> command;  ///< argv, split as supervisord splits it (shlex)
  std::optional<pieces> directory;
  std::optional<std::string> user;
  key_values environment;  ///< [supervisord] environment, then the program's own on top
  long numprocs = 1;
  long numprocs_start = 0;
  long priority = 999;  ///< the group's when the program is in a [group:x]
  bool autostart = true;
  enum autorestart autorestart = autorestart::unexpected;
  std::vector<long> exitcodes{0};
  long startsecs = 1;
  long startretries = 3;
  int stopsignal = 15;
  long stopwaitsecs = 10;
  bool stopasgroup = false;
  bool killasgroup = false;
  bool uses_host_node_name = false;  ///< %(host_node_name)s was replaced by this host's name
  std::vector<std::string> notes;    ///< what the conversion must say about this program
  std::vector<setting> settings;     ///< every key: its own, then those of [DEFAULT] it knows

  const setting* find(std::string_view key) const;
};

struct supervisord_conf {
  std::string file;  ///< the file given to `taskmux import`
  ini_document ini;
  key_values environment;         ///< [supervisord] environment
  std::vector<program> programs;  ///< in the order of their sections
  std::string node_name;          ///< what %(host_node_name)s became
};

/// Every key supervisord knows in a program section ([fcgi-program:x] and [eventlistener:x]
/// add their own few).
bool is_program_key(std::string_view key);

/// The programs of `ini`, checked as supervisord checks them; every problem as FILE:LINE.
std::variant<supervisord_conf, std::vector<ini_note>> read_programs(const std::string& file,
                                                                    ini_document ini,
                                                                    const host_facts& host);

}  // namespace taskmux::migrate
