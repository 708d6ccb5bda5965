// A request target taken apart: the path, and the query's parameters percent-decoded. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskmux::http {

struct target {
  std::string path;  ///< as sent (not decoded): routes match it exactly
  std::vector<std::pair<std::string, std::string>> query;  ///< in order, repeats kept

  /// Every value of `key`, in order ("?task=a&task=b").
  std::vector<std::string> all(std::string_view key) const;
  /// The first value of `key`; nullopt when absent.
  std::optional<std::string> first(std::string_view key) const;
};

/// "/status?task=web&task=db" -> {"/status", {{"task","web"},{"task","db"}}}; '+' in the query
/// is a space. nullopt when it does not start with '/' or holds a malformed %-escape.
std::optional<target> parse_target(std::string_view text);

/// "%41b+c" -> "Ab+c" (`plus_is_space`: "Ab c"); nullopt on a malformed %-escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

}  // namespace taskmux::http
