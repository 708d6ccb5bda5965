# taskmux demo image: taskmux is PID 1 and supervises the demo tasks of config.toml.
#
#   podman build --pull=never --format docker -t taskmux .      (or: docker build -t taskmux .)
#   podman run -d --name tm -p 8000:8000 taskmux
#   podman exec tm taskmux status          # TASKMUX_CONFIG points at /app/config.toml
#   podman stop tm                          # SIGTERM -> tasks stop in order -> exit 0
#
# No registry here? tests/container/base-image.sh builds both debian base images locally.
# tests/container/podman_test.sh builds, runs and stops this image and checks PID 1 behaviour.

# ---------------------------------------------------------------------------------------------
# Build stage: the repo's own .ci/setup installs the build dependencies, so this file never
# needs to know the -dev package list.
FROM debian:bookworm AS build
WORKDIR /src
# Only the setup script first: this (slow) apt layer is reused until .ci/setup changes.
COPY .ci/setup .ci/setup
RUN .ci/setup deps && rm -rf /var/lib/apt/lists/*

COPY . .
ARG BUILD_TYPE=RelWithDebInfo
# The binary is installed stripped: its debug info would only cost compile time (-g dropped).
# A unity build (a few large files) parses Asio's headers a few times instead of once per file.
ARG CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG"
# Build only the binary (not the tests) in a build dir of our own, so a host ./build that got
# into the context (no .dockerignore) cannot confuse CMake; install stripped.
RUN cmake -S . -B /tmp/build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DBUILD_TESTING=OFF \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$CXX_FLAGS_RELWITHDEBINFO" -DCMAKE_UNITY_BUILD=ON >/dev/null \
 && cmake --build /tmp/build --target taskmux -j"$(nproc)" \
 && install -D -s -m 0755 /tmp/build/taskmux /usr/local/bin/taskmux \
 && /usr/local/bin/taskmux version
# For the record (and for updating RUNTIME_PACKAGES below): the Debian packages that own the
# shared libraries the binary loads.
RUN ldd /usr/local/bin/taskmux | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' \
    | while read -r so path; do dir=${path%/*}; dpkg -S "*/${dir##*/}/$so" | sed -n '1s/[:,].*//p'; done \
    | sort -u | tee /usr/local/share/taskmux-runtime-packages.txt

# ---------------------------------------------------------------------------------------------
# Runtime stage: shared libraries only (+ python3 for the demo tasks).
FROM debian:bookworm-slim
# Keep in sync with the build stage's taskmux-runtime-packages.txt (libc6 is already in the
# base image); the ldd check below fails the build if one is missing. libstdc++, Boost and
# toml++ are linked into the binary (CMakeLists.txt, TASKMUX_STATIC_RUNTIME). No libfmt9:
# fmt::fmt is on the link line, but nothing references libfmt.so yet (Debian links
# --as-needed) - ldd will ask for it once something does.
ARG RUNTIME_PACKAGES="libsqlite3-0"
ARG DEMO_PACKAGES="python3"
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $RUNTIME_PACKAGES $DEMO_PACKAGES \
 && rm -rf /var/lib/apt/lists/*

COPY --from=build /usr/local/bin/taskmux /usr/local/bin/taskmux
RUN if ldd /usr/local/bin/taskmux | grep -F 'not found'; then \
      echo 'runtime stage lacks shared libraries: update RUNTIME_PACKAGES (see build stage)' >&2; exit 1; \
    fi

# config.toml refers to tasks/ by relative path, and relative paths are relative to the config
# file's directory: keep them side by side. state_dir (".taskmux" in the demo -> /app/.taskmux:
# control socket, embedded queues) must be writable; mount a volume there to keep the queues
# across container replacements.
WORKDIR /app
COPY config.toml /app/config.toml
COPY tasks/ /app/tasks/
# TASKMUX_CONFIG: client commands (`podman exec CTR taskmux status`) find the config, hence the
# control socket. HOST: tasks inherit it; the demo web app binds $HOST (default 127.0.0.1, which
# would make EXPOSE 8000 useless in a container). HTTP_LISTEN: the demo's [http] (dashboard,
# /metrics, /readyz) listens on every interface of the container.
ENV TASKMUX_CONFIG=/app/config.toml \
    HOST=0.0.0.0 \
    HTTP_LISTEN=0.0.0.0:9000 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

# Runs as root on purpose: taskmux drops privileges per task (`user = "..."` needs setuid/setgid),
# so the supervisor itself keeps root; tasks without `user=` run as root too. To run everything
# unprivileged instead, add `USER 10001:10001`, make /app/.taskmux writable for it and drop
# every per-task `user=` (switching users needs root or CAP_SETUID/CAP_SETGID).
# 8000: the demo's web API; 9000: taskmux's dashboard, /metrics and /readyz ([http] of the demo;
# set TASKMUX_TOKEN to require a token and get start/stop/restart buttons).
EXPOSE 8000 9000
# taskmux handles SIGTERM as PID 1 (stops the tasks in reverse dependency order, exits 0).
STOPSIGNAL SIGTERM
# Health for `docker ps` and `podman healthcheck run`, without curl in the image: exit 0 only
# while every instance is ready (a looped task between runs and an exited-0 `restart = "never"`
# task count as ready); the demo's crashing worker makes one check fail now and then, which
# `--retries` absorbs.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/taskmux", "status", "--check"]
# Exec form: taskmux itself is PID 1 (a shell would be PID 1 and not forward signals); it reaps
# orphans, so no --init/tini.
ENTRYPOINT ["/usr/local/bin/taskmux", "run", "-c", "/app/config.toml"]
