// Finding taskmux's cgroup v2 directory: mountinfo's cgroup2 mounts and /proc/self/cgroup.
#include <doctest/doctest.h>

#include "process/cgroup_path.hpp"

namespace {

using namespace taskmux::process;

// A hybrid host: v1 controllers, cgroup2 at /sys/fs/cgroup/unified.
constexpr const char* hybrid_mountinfo =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

// A modern container: cgroup2 at /sys/fs/cgroup, with optional fields before the "-".
constexpr const char* container_mountinfo =
    "612 611 0:52 / / rw,relatime master:300 - overlay overlay rw,lowerdir=/l\n"
    "620 618 0:27 / /sys/fs/cgroup ro,nosuid,relatime shared:9 master:4 - cgroup2 cgroup2 rw\n";

}  // namespace

TEST_CASE("cgroup path: the cgroup2 mount of a hybrid host is found among v1 mounts") {
  auto mounts = parse_cgroup2_mounts(hybrid_mountinfo);
  REQUIRE(mounts.size() == 1);
  CHECK(mounts[0].root == "/");
  CHECK(mounts[0].mount_point == "/sys/fs/cgroup/unified");
}

TEST_CASE("cgroup path: optional fields before the separator do not hide the file system type") {
  auto mounts = parse_cgroup2_mounts(container_mountinfo);
  REQUIRE(mounts.size() == 1);
  CHECK(mounts[0].mount_point == "/sys/fs/cgroup");
}

TEST_CASE("cgroup path: escaped spaces in a mount point are decoded") {
  auto mounts =
      parse_cgroup2_mounts("41 31 0:38 /sub\\040dir /mnt/my\\040cgroup rw - cgroup2 none rw\n");
  REQUIRE(mounts.size() == 1);
  CHECK(mounts[0].root == "/sub dir");
  CHECK(mounts[0].mount_point == "/mnt/my cgroup");
}

TEST_CASE("cgroup path: a v1-only host and malformed lines give no mount") {
  CHECK(
      parse_cgroup2_mounts("32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n").empty());
  CHECK(parse_cgroup2_mounts("garbage\n\n41 31 0:38 /\n").empty());
  CHECK(parse_cgroup2_mounts("").empty());
}

TEST_CASE("cgroup path: the v2 line of /proc/self/cgroup names our cgroup") {
  CHECK(parse_own_cgroup2("9:name=systemd:/\n4:memory:/x/y\n0::/\n") == "/");
  CHECK(parse_own_cgroup2("0::/system.slice/app.service\n") == "/system.slice/app.service");
  CHECK(parse_own_cgroup2("0::/a:b/c\n") == "/a:b/c");
}

TEST_CASE(
    "cgroup path: no v2 line, a path outside our namespace, or a removed cgroup is unusable") {
  CHECK_FALSE(parse_own_cgroup2("4:memory:/x\n1:cpu:/\n").has_value());
  CHECK_FALSE(parse_own_cgroup2("0::/../../other\n").has_value());
  CHECK_FALSE(parse_own_cgroup2("0::/gone (deleted)\n").has_value());
  CHECK_FALSE(parse_own_cgroup2("0::relative\n").has_value());
  CHECK_FALSE(parse_own_cgroup2("").has_value());
}

TEST_CASE("cgroup path: our directory is the mount point plus our path below the mount's root") {
  std::vector<cgroup2_mount> root_mount{{"/", "/sys/fs/cgroup/unified"}};
  CHECK(cgroup2_directory(root_mount, "/") == "/sys/fs/cgroup/unified");
  CHECK(cgroup2_directory(root_mount, "/a/b") == "/sys/fs/cgroup/unified/a/b");

  // A container without a cgroup namespace, its own subtree bind-mounted.
  std::vector<cgroup2_mount> sub{{"/docker/abc", "/sys/fs/cgroup"}};
  CHECK(cgroup2_directory(sub, "/docker/abc") == "/sys/fs/cgroup");
  CHECK(cgroup2_directory(sub, "/docker/abc/init") == "/sys/fs/cgroup/init");
  CHECK_FALSE(cgroup2_directory(sub, "/docker/abcd").has_value());
  CHECK_FALSE(cgroup2_directory(sub, "/other").has_value());
  CHECK_FALSE(cgroup2_directory({}, "/").has_value());
}

TEST_CASE("cgroup path: the first mount that contains our cgroup wins") {
  std::vector<cgroup2_mount> mounts{
      {"/elsewhere", "/mnt/a"}, {"/", "/sys/fs/cgroup"}, {"/", "/mnt/b"}};
  CHECK(cgroup2_directory(mounts, "/x") == "/sys/fs/cgroup/x");
}
