#include "migrate/ini.hpp"

#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "migrate/section_reader.hpp"

#include "migrate/percent_format.hpp"

namespace taskmux::migrate {
namespace fs = std::filesystem;

std::string source::to_string() const {
  return line > 0 ? file + ":" + std::to_string(line) : file;
}

std::string source::here() const {
  return fs::absolute(fs::path(file)).lexically_normal().parent_path().string();
}

std::string ini_note::to_string() const {
  return where.to_string() + ": " + message;
}

const ini_value* ini_section::find(std::string_view key) const {
  for (auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

const ini_section* ini_document::find(std::string_view name) const {
  for (auto& s : sections)
    if (s.name == name) return &s;
  return nullptr;
}

const ini_value* ini_document::get(const ini_section& section, std::string_view key) const {
  if (auto* v = section.find(key)) return v;
  return defaults.find(key);
}

host_facts this_host() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return {[](const std::string& var) -> std::optional<std::string> {
            const char* v = std::getenv(var.c_str());
            return v ? std::optional<std::string>(v) : std::nullopt;
          },
          name};
}

namespace {

constexpr size_t none = std::numeric_limits<size_t>::max();

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view strip(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

/// UTF-8 as Python decodes it: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    if (extra < 0 || (extra > 0 && i + extra >= s.size())) return false;
    char32_t cp = extra == 0 ? c : c & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (next & 0x3F);
    }
    constexpr char32_t least[] = {0, 0x80, 0x800, 0x10000};
    if (cp < least[extra] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += 1 + extra;
  }
  return true;
}

/// Where a comment starts in `line`, as configparser finds it: a whole line starting with ';'
/// or '#', or (supervisord's inline_comment_prefixes) ';' or '#' at the start or after
/// whitespace, searched for in rounds, one occurrence of each prefix per round.
size_t comment_start(std::string_view line) {
  size_t start = none;
  size_t index[2] = {none, none};
  const char prefixes[2] = {';', '#'};
  bool active[2] = {true, true};
  while (start == none && (active[0] || active[1])) {
    for (int p = 0; p < 2; ++p) {
      if (!active[p]) continue;
      index[p] = line.find(prefixes[p], index[p] == none ? 0 : index[p] + 1);
      if (index[p] == std::string_view::npos) {
        active[p] = false;
        continue;
      }
      if (index[p] == 0 || is_space(line[index[p] - 1])) start = std::min(start, index[p]);
    }
  }
  auto stripped = strip(line);
  if (!stripped.empty() && (stripped[0] == '#' || stripped[0] == ';')) start = 0;
  return start;
}

/// The lines of a text, split on "\n", "\r\n" and "\r" as Python's universal newlines.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t begin = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n' && text[i] != '\r') continue;
    lines.push_back(text.substr(begin, i - begin));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    begin = i + 1;
  }
  if (begin < text.size()) lines.push_back(text.substr(begin));
  return lines;
}

/// `[header]`: configparser's permissive pattern, the header running to the last ']'.
std::optional<std::string> section_header(std::string_view value) {
  if (value.size() < 3 || value[0] != '[') return std::nullopt;
  size_t close = value.rfind(']');
  if (close == std::string_view::npos || close < 2) return std::nullopt;
  return std::string(value.substr(1, close - 1));
}

ini_section& section_named(ini_document& doc, const std::string& name, const source& where) {
  if (name == "DEFAULT") return doc.defaults;
  for (auto& s : doc.sections)
    if (s.name == name) return s;
  doc.sections.push_back({name, where, {}});
  return doc.sections.back();
}

/// The value being read: its section and key (for continuation lines) and its lines.
struct open_value {
  ini_section* section = nullptr;
  std::string key;
  std::vector<std::string> lines;
  size_t indent = 0;
};

void close_value(open_value& v) {
  if (!v.section || v.key.empty()) return;
  std::string text;
  for (size_t i = 0; i < v.lines.size(); ++i)
    text += (i ? "\n" : "") + v.lines[i];
  while (!text.empty() && is_space(text.back()))
    text.pop_back();
  for (auto& [k, value] : v.section->entries)
    if (k == v.key) value.text = text;
  v.key.clear();
  v.lines.clear();
}

}  // namespace

std::vector<ini_note> parse_ini(std::string_view text, const std::string& file, ini_document& doc) {
  std::vector<ini_note> errors;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a BOM some editors write
  open_value value;
  int lineno = 0;
  for (auto line : split_lines(text)) {
    source here{file, ++lineno};
    if (!is_utf8(line)) {
      errors.push_back({here, "not valid UTF-8 (supervisord reads its files as UTF-8)"});
      continue;
    }
    if (line.find('\0') != std::string_view::npos) {
      errors.push_back({here, "a NUL character"});
      continue;
    }
    size_t comment = comment_start(line);
    auto content = strip(line.substr(0, comment == none ? line.size() : comment));
    if (content.empty()) {
      // configparser keeps a blank line inside a value, not a comment line.
      if (comment == none && !value.key.empty()) value.lines.emplace_back();
      continue;
    }
    size_t indent = 0;
    while (indent < line.size() && is_space(line[indent]))
      ++indent;
    if (!value.key.empty() && indent > value.indent) {
      value.lines.emplace_back(content);
      continue;
    }
    close_value(value);
    value.indent = indent;
    if (auto name = section_header(content)) {
      value.section = &section_named(doc, *name, here);
      continue;
    }
    if (!value.section) {
      errors.push_back({here, "a key before any [section] header"});
      return errors;  // configparser gives up on the file here
    }
    size_t delim = content.find_first_of("=:");
    auto key =
        delim == std::string_view::npos ? std::string_view{} : strip(content.substr(0, delim));
    if (key.empty()) {
      errors.push_back({here, "expected `key = value`, `key: value` or `[section]`, not \"" +
                                  std::string(content) + "\""});
      continue;
    }
    value.key = ascii_lower(key);
    value.lines = {std::string(strip(content.substr(delim + 1)))};
    auto& entries = value.section->entries;
    auto it =
        std::find_if(entries.begin(), entries.end(), [&](auto& e) { return e.first == value.key; });
    if (it == entries.end())
      entries.push_back({value.key, {"", here}});
    else
      it->second.where = here;
  }
  close_value(value);
  return errors;
}

namespace {

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    error = "is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The files one [include] pattern names, sorted, as Python's sorted(glob.glob(pattern)).
std::vector<std::string> glob_files(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), GLOB_NOESCAPE | GLOB_NOSORT, nullptr, &g) == 0)
    out.assign(g.gl_pathv, g.gl_pathv + g.gl_pathc);
  ::globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

/// The patterns of [include] files, expanded with here, host_node_name and ENV_X.
std::variant<std::vector<std::string>, ini_note> include_patterns(const ini_document& doc,
                                                                  const ini_section& include,
                                                                  const host_facts& host) {
  auto* files = doc.get(include, "files");
  if (!files) return ini_note{include.where, "[include] has no `files` key"};
  auto lookup = [&](std::string_view name) -> std::optional<binding> {
    if (name == "here") return text_piece(files->where.here());
    if (name == "host_node_name") return text_piece(host.node_name);
    if (name.starts_with("ENV_"))
      if (auto v = host.env(std::string(name.substr(4)))) return text_piece(*v);
    return std::nullopt;
  };
  auto expanded = expand_percent(files->text, lookup);
  if (auto* err = std::get_if<std::string>(&expanded))
    return ini_note{files->where, "files: " + *err + " (names here: here, host_node_name, ENV_X)"};
  std::istringstream words(literal_text(std::get<pieces>(expanded)));
  std::vector<std::string> out;
  for (std::string w; words >> w;)
    out.push_back(w);
  return out;
}

/// Adds what one included file says to `doc`, as reading it into the same parser would; its
/// own [include] is left out (supervisord reads the [include] of the main file only).
void merge(ini_document& doc, const ini_document& file) {
  auto set = [](ini_section& into, const ini_section& from) {
    for (auto& [key, value] : from.entries) {
      auto it = std::find_if(into.entries.begin(), into.entries.end(),
                             [&](auto& e) { return e.first == key; });
      if (it == into.entries.end())
        into.entries.push_back({key, value});
      else
        it->second = value;
    }
  };
  set(doc.defaults, file.defaults);
  for (auto& section : file.sections) {
    if (section.name == "include") {
      doc.notes.push_back({section.where,
                           "[include] in an included file: supervisord does not "
                           "read it, so its files are not converted"});
      continue;
    }
    set(section_named(doc, section.name, section.where), section);
  }
}

}  // namespace

std::variant<ini_document, std::vector<ini_note>> read_supervisord_conf(const std::string& file,
                                                                        const host_facts& host) {
  ini_document doc;
  std::string error;
  auto text = read_file(file, error);
  if (!text) return std::vector<ini_note>{{{file, 0}, "unable to read: " + error}};
  if (auto errors = parse_ini(*text, file, doc); !errors.empty()) return errors;
  auto* include = doc.find("include");
  if (!include) return doc;
  auto patterns = include_patterns(doc, *include, host);
  if (auto* err = std::get_if<ini_note>(&patterns)) return std::vector<ini_note>{*err};
  source include_at = doc.get(*include, "files")->where;
  auto base = source{file}.here();
  for (auto& pattern : std::get<std::vector<std::string>>(patterns)) {
    // os.path.join: an absolute pattern stands alone.
    auto full = pattern.starts_with("/") ? pattern : base + "/" + pattern;
    auto matches = glob_files(full);
    if (matches.empty()) doc.notes.push_back({include_at, "no file matches \"" + full + "\""});
    for (auto& path : matches) {
      auto more = read_file(path, error);
      if (!more) {
        if (error == "is a directory") {  // supervisord's parser skips it without a word
          doc.notes.push_back({include_at, "skipped \"" + path + "\": a directory"});
          continue;
        }
        return std::vector<ini_note>{{include_at, "unable to read " + path + ": " + error}};
      }
      doc.included.push_back(path);
      ini_document nested;
      if (auto errors = parse_ini(*more, path, nested); !errors.empty()) return errors;
      merge(doc, nested);
    }
  }
  return doc;
}

}  // namespace taskmux::migrate
