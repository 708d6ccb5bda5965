// The JSON text writer: commas in the right places, strings escaped, numbers plain.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include "logs/json_writer.hpp"

using taskmux::logs::json_writer;

TEST_CASE("json_writer: nested objects and arrays get their commas, and parse back") {
  std::string out;
  json_writer w(out);
  w.open('{');
  w.key("a").number(1);
  w.key("list").open('[');
  for (int i = 0; i < 3; ++i) {
    w.element();
    w.open('{');
    w.key("i").number(i);
    w.key("none").null();
    w.close('}');
  }
  w.close(']');
  w.key("empty").open('[');
  w.close(']');
  w.key("ok").boolean(true);
  w.close('}');
  CHECK(out == R"({"a":1,"list":[{"i":0,"none":null},{"i":1,"none":null},{"i":2,"none":null}],"empty":[],"ok":true})");
  CHECK(boost::json::parse(out).is_object());
}

TEST_CASE("json_writer: strings are escaped and made valid UTF-8; numbers are plain") {
  std::string out;
  json_writer w(out);
  w.open('[');
  w.element();
  w.text("say \"hi\"\\\n\x01 caf\xc3\xa9 \xff");
  for (double d : {4.0, 0.25, 12.5, 1e-3}) {
    w.element();
    w.number(d);
  }
  w.element();
  w.seconds(std::chrono::milliseconds(1500));
  w.close(']');
  CHECK(out == "[\"say \\\"hi\\\"\\\\\\n\\u0001 caf\xc3\xa9 \xef\xbf\xbd\",4,0.25,12.5,0.001,1.5]");
  auto v = boost::json::parse(out).as_array();
  CHECK(v[0] == "say \"hi\"\\\n\x01 caf\xc3\xa9 \xef\xbf\xbd");
}
