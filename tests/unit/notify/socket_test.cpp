// The notify socket end to end in one process: sender -> listener with kernel credentials,
// the receipt wait, oversized datagrams, and descriptors that come along being closed.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "notify/listener.hpp"
#include "notify/sender.hpp"

namespace {

namespace fs = std::filesystem;
using namespace taskmux::notify;
using namespace std::chrono_literals;

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("taskmux-notify-test-" + std::to_string(::getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
};

struct received {
  pid_t pid;
  std::string payload;
  bool truncated;
};

}  // namespace

TEST_CASE("a datagram arrives with the sender's pid, and the receipt waits for the handler") {
  temp_dir t;
  socket_directory dir(t.path, {8, false});
  auto path = dir.socket_for("web");
  struct stat st{};
  REQUIRE(::stat(path.parent_path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  boost::asio::io_context loop;
  std::vector<received> got;
  listener l(loop, path, [&](const listener::datagram& d) { got.push_back({d.pid, std::string(d.payload), d.truncated}); });
  // The sender blocks until the datagram was handled: run it beside the loop.
  auto sent = std::async(std::launch::async, [&] { return send(path.string(), "READY=1\nSTATUS=hi", 5s); });
  while (sent.wait_for(0ms) != std::future_status::ready) loop.run_for(10ms);
  CHECK(sent.get() == "");
  REQUIRE(got.size() == 1);
  CHECK(got[0].pid == ::getpid());
  CHECK(got[0].payload == "READY=1\nSTATUS=hi");
  CHECK_FALSE(got[0].truncated);
}

TEST_CASE("oversized datagrams are marked truncated") {
  temp_dir t;
  socket_directory dir(t.path, {8, false});
  boost::asio::io_context loop;
  std::vector<received> got;
  listener l(loop, dir.socket_for("big"), [&](const listener::datagram& d) { got.push_back({d.pid, std::string(d.payload), d.truncated}); });
  CHECK(send(dir.socket_for("big").string(), std::string(6000, 'X')) == "");
  CHECK(send(dir.socket_for("big").string(), "STATUS=small") == "");
  loop.run_for(100ms);
  REQUIRE(got.size() == 2);
  CHECK(got[0].truncated);
  CHECK_FALSE(got[1].truncated);
}

TEST_CASE("sending without a socket, or to a relative path, is a clear error") {
  CHECK(send("", "READY=1").find("NOTIFY_SOCKET is not set") != std::string::npos);
  CHECK(send("relative.sock", "READY=1").find("absolute") != std::string::npos);
  CHECK(send("/nonexistent/dir/x.sock", "READY=1").find("/nonexistent/dir/x.sock") != std::string::npos);
}

TEST_CASE("a path too long for a unix socket falls back to a private directory") {
  temp_dir t;
  auto deep = t.path / std::string(90, 'd');
  fs::create_directories(deep);
  fs::path used;
  {
    socket_directory dir(deep, {20, false});
    used = dir.socket_for(std::string(20, 'n'));
    CHECK(used.string().rfind("/tmp/taskmux-notify-", 0) == 0);
    CHECK(fs::exists(used.parent_path()));
  }
  CHECK_FALSE(fs::exists(used.parent_path()));  // removed with the directory object
}
