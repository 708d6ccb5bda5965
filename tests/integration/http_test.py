"""The HTTP server of `[http]` (SPEC "HTTP"): every endpoint against the real binary, /readyz
following the tasks, the token rule, /metrics read by an independent Prometheus parser
(python3-prometheus-client) and checked against `status --json`, and the limits that keep a
client from stalling taskmux: Slowloris, huge headers and bodies, idle and unread connections,
the connection cap and a full descriptor table."""
import http.client
import json
import os
import resource
import signal
import socket
import subprocess
import time
import unittest

from prometheus_client.parser import text_string_to_metric_families

from harness import SANITIZED, TASKMUX, TaskmuxTest, argv, free_port, probe

PYTHON3 = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
TOKEN = "s3cret-t0ken"
# The server's limits (src/http/server.hpp).
REQUEST_TIMEOUT = 10
IDLE_TIMEOUT = 15
WRITE_TIMEOUT = 10

# Listens on 127.0.0.1:argv[1] after argv[2] seconds (a task whose tcp ready check passes late).
LATE_LISTENER = """
import socket, sys, time
time.sleep(float(sys.argv[2]))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
while True:
    s.accept()[0].close()
"""

# Ends by SIGKILL, its own.
SELF_KILL = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"


def http_table(port, token=None):
    t = f'[http]\nlisten = "127.0.0.1:{port}"\n'
    return t + (f'token = "{token}"\n' if token else "") + "\n"


def request(port, path, method="GET", headers=None, timeout=10):
    """(status, headers as a dict with lower-case names, body) of one request on a new connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
    finally:
        conn.close()


def metrics(port, headers=None):
    """{(sample name, frozenset of labels): value} and the families, parsed by prometheus_client."""
    status, h, body = request(port, "/metrics", headers=headers)
    assert status == 200, (status, body)
    assert h["content-type"] == "text/plain; version=0.0.4; charset=utf-8", h
    families = list(text_string_to_metric_families(body))
    samples = {(s.name, frozenset(s.labels.items())): s.value for f in families for s in f.samples}
    return samples, families


def instance_labels(task, index, **more):
    return frozenset({"task": task, "instance": str(index), **more}.items())


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def closed_by_peer(sock, timeout):
    """Whether the peer closes `sock` (EOF or reset) within `timeout`, reading and dropping what comes."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            if sock.recv(65536) == b"":
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True


def raw_answer(sock, timeout=10):
    """Everything the server sends until it closes; a reset or `timeout` without a byte ends it too."""
    sock.settimeout(timeout)
    chunks = []
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        pass
    return b"".join(chunks)


class HttpTest(TaskmuxTest):
    def start_http(self, body, token=None, **kw):
        port = free_port()
        sup = self.start(http_table(port, token) + body, **kw)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        sup.wait_for(lambda: self.answers(port), what="the HTTP server")
        return sup, port, headers

    @staticmethod
    def answers(port):
        try:
            return request(port, "/healthz", timeout=2)[0] == 200
        except OSError:
            return False


class EndpointsTest(HttpTest):
    def test_every_endpoint_answers_as_documented(self):
        sup, port, _ = self.start_http(f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\ninstances = 2\n\n'
                                       f'[[task]]\nname = "db"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_state(None, "ready", count=3)
        for path in ("/healthz", "/livez", "/readyz"):
            self.assertEqual(request(port, path)[::2], (200, "ok\n"), path)
        status, h, body = request(port, "/status")
        self.assertEqual(status, 200)
        self.assertEqual(h["content-type"], "application/json")
        doc = json.loads(body)
        cli = sup.status()
        self.assertEqual({k: doc[k] for k in ("supervisor", "run")}, {k: cli[k] for k in ("supervisor", "run")})
        stable = ("task", "instance", "state", "pid", "started_at", "restarts", "last_exit", "status", "next_run")
        self.assertEqual([{k: r[k] for k in stable} for r in doc["tasks"]],
                         [{k: r[k] for k in stable} for r in cli["tasks"]])
        self.assertEqual(set(doc["tasks"][0]), set(cli["tasks"][0]))
        filtered = json.loads(request(port, "/status?task=db")[2])
        self.assertEqual([(r["task"], r["instance"]) for r in filtered["tasks"]], [("db", 0)])
        self.assertEqual(len(json.loads(request(port, "/status?task=db&task=web")[2])["tasks"]), 3)
        self.assertEqual(request(port, "/status?task=ghost")[::2], (404, "unknown task: ghost\n"))
        status, _, body = request(port, "/actuator/health")
        self.assertEqual((status, json.loads(body)), (200, {"status": "UP"}))
        info = json.loads(request(port, "/actuator/info")[2])
        version = subprocess.run([TASKMUX, "version"], capture_output=True, text=True, timeout=10).stdout
        self.assertIn(info["app"]["version"], version)
        self.assertEqual(info, {"app": {"name": "taskmux", "version": info["app"]["version"]},
                                "supervisor": "test", "run": cli["run"]})
        self.assertEqual(request(port, "/")[0], 200)
        self.assertEqual(request(port, "/nope")[0], 404)
        status, h, _ = request(port, "/status", method="POST")
        self.assertEqual((status, h["allow"]), (405, "GET, HEAD"))
        self.assertEqual(request(port, "/healthz", method="DELETE")[0], 405)

    def test_head_has_the_length_of_get_and_no_body_and_connections_are_kept_alive(self):
        sup, port, _ = self.start_http(f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\n')
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.addCleanup(conn.close)
        conn.request("GET", "/actuator/info")
        body = conn.getresponse().read()
        sock = conn.sock
        self.assertIsNotNone(sock)
        conn.request("GET", "/healthz")
        self.assertEqual(conn.getresponse().read(), b"ok\n")
        self.assertIs(conn.sock, sock, "the two requests went over one connection")
        # Raw, so that a body after HEAD's headers would be seen (a client library drops it):
        # the next answer follows the headers at once.
        with connect(port) as s:
            s.sendall(b"HEAD /actuator/info HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            head, rest = raw_answer(s).split(b"\r\n\r\n", 1)
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        self.assertIn(f"Content-Length: {len(body)}".encode(), head.split(b"\r\n"))
        self.assertTrue(rest.startswith(b"HTTP/1.1 200"), rest[:100])
        self.assertTrue(rest.endswith(b"\r\n\r\nok\n"), rest)

    def test_a_port_in_use_is_an_error_naming_the_address_and_nothing_starts(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            sup = self.start(http_table(port) + '[[task]]\nname = "web"\ncommand = "touch started; sleep 3600"\n')
            self.assertEqual(sup.wait_exit(20), 1)
        self.assertIn(f"taskmux: unable to listen for HTTP on 127.0.0.1:{port}: Address already in use", sup.stderr())
        self.assertFalse((sup.dir / "started").exists(), "a task started")
        self.assertEqual(sup.leftovers(), [])


class ReadinessTest(HttpTest):
    def test_readyz_follows_the_tasks_503_naming_who_is_not_ready_then_200_then_503_after_a_crash(self):
        ready_port = free_port()
        sup, port, _ = self.start_http(
            f'[[task]]\nname = "late"\ncommand = {argv(PYTHON3, "-c", LATE_LISTENER, ready_port, 2)}\n'
            f'ready = {{ tcp = "127.0.0.1:{ready_port}" }}\nrestart = "always"\n'
            f'backoff = {{ initial = "100ms", max = "200ms" }}\n\n'
            # These two count as ready: a looped task between runs, an exited-0 "never" task.
            f'[[task]]\nname = "loop"\ncommand = {probe("exit", 0)}\nevery = "1h"\n\n'
            f'[[task]]\nname = "once"\ncommand = {probe("exit", 0)}\nrestart = "never"\n')
        status, _, body = request(port, "/readyz")
        self.assertEqual(status, 503)
        self.assertTrue(body.startswith("not ready: "), body)
        self.assertRegex(body, r"late\[0\] \((starting|running)\)")
        status, _, body = request(port, "/actuator/health")
        self.assertEqual(status, 503)
        self.assertEqual(json.loads(body)["status"], "DOWN")
        self.assertIn("late[0]", json.loads(body)["details"]["not_ready"])
        sup.wait_for(lambda: request(port, "/readyz")[::2] == (200, "ok\n"), 15, "/readyz 200")
        self.assertEqual({r["task"]: r["state"] for r in sup.rows()}, {"late": "ready", "loop": "waiting", "once": "exited"})
        self.assertEqual(json.loads(request(port, "/actuator/health")[2]), {"status": "UP"})
        # A crash: not ready until the new process listens again.
        os.kill(sup.rows("late")[0]["pid"], signal.SIGKILL)
        status, _, body = sup.wait_for(lambda: (lambda r: r if r[0] == 503 else None)(request(port, "/readyz")),
                                       10, "/readyz 503 after the crash")
        self.assertRegex(body, r"^not ready: late\[0\] \((backoff|running|starting)\)\n$")
        sup.wait_for(lambda: request(port, "/readyz")[0] == 200, 15, "/readyz 200 again")

    def test_a_shutdown_is_not_ready_while_healthz_still_answers(self):
        sup, port, _ = self.start_http(f'[[task]]\nname = "stubborn"\ncommand = {probe("ignore-term", 3600)}\n'
                                       'stop_timeout = "4s"\n')
        sup.wait_for(lambda: request(port, "/readyz")[0] == 200, 10, "/readyz 200")
        sup.signal(signal.SIGTERM)
        status, _, body = sup.wait_for(lambda: (lambda r: r if r[0] == 503 else None)(request(port, "/readyz")),
                                       3, "/readyz 503 during the shutdown")
        self.assertRegex(body, r"^not ready: shutting down, stubborn\[0\] \(stopping\)\n$")
        self.assertEqual(json.loads(request(port, "/actuator/health")[2])["details"]["shutting_down"], True)
        self.assertEqual(request(port, "/healthz")[::2], (200, "ok\n"))
        self.assertEqual(sup.wait_exit(30), 0)


class TokenTest(HttpTest):
    def test_only_the_four_probe_paths_answer_without_the_token(self):
        sup, port, auth = self.start_http(f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\n', token=TOKEN)
        sup.wait_state("web", "ready")
        for path in ("/healthz", "/livez", "/readyz", "/actuator/health"):
            self.assertEqual(request(port, path)[0], 200, path)
        for path in ("/status", "/metrics", "/actuator/info", "/", "/nope", "/status?task=web"):
            status, h, _ = request(port, path)
            self.assertEqual(status, 401, path)
            self.assertTrue(h["www-authenticate"].startswith("Bearer"), h)
            status, h, _ = request(port, path, headers={"Authorization": "Bearer wrong"})
            self.assertEqual(status, 401, path)
            self.assertIn('error="invalid_token"', h["www-authenticate"])
            self.assertEqual(request(port, path, headers={"Authorization": f"Bearer {TOKEN}x"})[0], 401, path)
            self.assertEqual(request(port, path, headers={"Authorization": f"Basic {TOKEN}"})[0], 401, path)
        self.assertEqual(request(port, "/status", headers=auth)[0], 200)
        self.assertEqual(request(port, "/metrics", headers=auth)[0], 200)
        self.assertEqual(request(port, "/actuator/info", headers=auth)[0], 200)
        self.assertEqual(request(port, "/", headers=auth)[0], 200)
        self.assertEqual(request(port, "/nope", headers=auth)[0], 404)

    def test_the_dashboard_takes_the_token_once_in_the_url_and_keeps_it_in_a_cookie(self):
        sup, port, _ = self.start_http(f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\n', token=TOKEN)
        self.assertEqual(request(port, "/?token=wrong")[0], 401)
        self.assertEqual(request(port, f"/status?token={TOKEN}")[0], 401, "only the dashboard takes ?token=")
        status, h, _ = request(port, f"/?token={TOKEN}")
        self.assertEqual(status, 303)
        self.assertEqual(h["location"], "/")
        cookie = h["set-cookie"]
        attributes = [a.strip() for a in cookie.split(";")]
        self.assertEqual(attributes[0], f"taskmux_token={TOKEN}")
        self.assertIn("HttpOnly", attributes)
        self.assertIn("SameSite=Strict", attributes)
        self.assertIn("Path=/", attributes)
        jar = {"Cookie": attributes[0]}
        self.assertEqual(request(port, "/", headers=jar)[0], 200)
        self.assertEqual(request(port, "/status", headers=jar)[0], 200)
        self.assertEqual(request(port, "/status", headers={"Cookie": "taskmux_token=wrong"})[0], 401)


class MetricsTest(HttpTest):
    def test_metrics_parse_as_prometheus_text_and_agree_with_status(self):
        sup, port, _ = self.start_http(
            f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\ninstances = 2\n\n'
            f'[[task]]\nname = "crash"\ncommand = {probe("exit", 3)}\nrestart = "always"\n'
            f'backoff = {{ initial = "100ms", max = "200ms" }}\nstart_limit = {{ burst = 0 }}\n\n'
            f'[[task]]\nname = "selfkill"\ncommand = {argv(PYTHON3, "-c", SELF_KILL)}\nrestart = "never"\n\n'
            f'[[task]]\nname = "orphans"\ncommand = {probe("orphans", 2)}\n')
        sup.wait_state("web", "ready", count=2)
        sup.wait_state("selfkill", "exited")
        # A datagram from no instance of the task: refused.
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as n:
            n.sendto(b"READY=1", str(sup.dir / "state" / "notify" / "web.sock"))
        sup.wait_for(lambda: metrics(port)[0][("taskmux_notify_datagrams_total",
                                                frozenset({"result": "refused"}.items()))] >= 1,
                     what="the refused datagram counted")
        sup.wait_for(lambda: metrics(port)[0][("taskmux_orphans_reaped_total", frozenset())] >= 2,
                     what="two orphans reaped")

        rows = sup.status()["tasks"]
        samples, families = metrics(port)
        for f in families:
            self.assertTrue(f.name.startswith("taskmux_"), f.name)
            self.assertIn(f.type, ("gauge", "counter"), f.name)
            self.assertTrue(f.documentation, f"{f.name} has no HELP")
        names = {f.name for f in families}
        for name in ("taskmux_instance_state", "taskmux_instance_up", "taskmux_instance_restarts",
                     "taskmux_instance_exits", "taskmux_instance_uptime_seconds", "taskmux_reports_committed",
                     "taskmux_reports_waiting", "taskmux_reports_dropped", "taskmux_orphans_reaped",
                     "taskmux_log_lines_dropped", "taskmux_notify_datagrams", "taskmux_build_info"):
            self.assertIn(name, names)
        states = [f for f in families if f.name == "taskmux_instance_state"][0]
        self.assertEqual(len(states.samples), 10 * len(rows), "one sample per state and instance")
        for r in rows:
            if r["task"] == "crash":
                continue  # it changes between the two reads
            key = (r["task"], r["instance"])
            current = [s.labels["state"] for s in states.samples
                       if (s.labels["task"], int(s.labels["instance"])) == key and s.value == 1]
            self.assertEqual(current, [r["state"]], key)
            self.assertEqual(samples[("taskmux_instance_up", instance_labels(*key))], 1 if r["pid"] else 0, key)
            self.assertEqual(samples[("taskmux_instance_restarts_total", instance_labels(*key))], r["restarts"], key)
            uptime = samples[("taskmux_instance_uptime_seconds", instance_labels(*key))]
            if r["uptime_s"] is None:
                self.assertEqual(uptime, 0, key)
            else:
                self.assertAlmostEqual(uptime, r["uptime_s"], delta=2, msg=key)
        self.assertEqual(samples[("taskmux_instance_exits_total", instance_labels("selfkill", 0, signal="KILL"))], 1)
        self.assertFalse([k for k in samples if k[0] == "taskmux_instance_exits_total" and ("task", "web") in k[1]])
        self.assertEqual(samples[("taskmux_log_lines_dropped_total", frozenset({"stream": "stdout"}.items()))], 0)

        # The crash loop: its exits by code, and restarts that keep rising.
        crash = instance_labels("crash", 0)
        first = samples[("taskmux_instance_restarts_total", crash)]
        self.assertGreaterEqual(samples[("taskmux_instance_exits_total", instance_labels("crash", 0, code="3"))], 1)
        sup.wait_for(lambda: metrics(port)[0][("taskmux_instance_restarts_total", crash)] >= first + 3,
                     what="crash's restarts to rise")
        later = metrics(port)[0]
        restarts = later[("taskmux_instance_restarts_total", crash)]
        exits = later[("taskmux_instance_exits_total", instance_labels("crash", 0, code="3"))]
        self.assertIn(exits, (restarts, restarts + 1), "one exit per run")
        self.assertGreaterEqual(sup.rows("crash")[0]["restarts"], restarts)

    def test_reports_committed_matches_the_store_once_it_is_quiet(self):
        sup, port, _ = self.start_http(f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_state("web", "ready")

        def agree():
            s = metrics(port)[0]
            stored = len(sup.messages())
            committed = s[("taskmux_reports_committed_total", frozenset())]
            return committed > 0 and committed == stored and s[("taskmux_reports_waiting", frozenset())] == 0
        sup.wait_for(agree, 15, "committed reports to match the store")
        samples = metrics(port)[0]
        self.assertEqual(samples[("taskmux_reports_dropped_total", frozenset())], 0)
        self.assertNotIn(("taskmux_reports_published_total", frozenset()), samples, "embedded: no broker")


class LimitsTest(HttpTest):
    def test_slowloris_and_idle_connections_are_closed_by_their_timeouts(self):
        sup, port, _ = self.start_http(f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\n')
        began = time.monotonic()
        slow = connect(port)
        self.addCleanup(slow.close)
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        idle = connect(port)
        self.addCleanup(idle.close)
        kept = connect(port)
        self.addCleanup(kept.close)
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        kept.settimeout(10)
        self.assertTrue(kept.recv(4096).startswith(b"HTTP/1.1 200"))
        answered = time.monotonic()
        # One header byte a second: each one is in time, the whole request is not.
        slow_closed = None
        while time.monotonic() - began < REQUEST_TIMEOUT + 5:
            try:
                slow.sendall(b"X")
            except OSError:
                slow_closed = time.monotonic() - began
                break
            if closed_by_peer(slow, 1):
                slow_closed = time.monotonic() - began
                break
        self.assertIsNotNone(slow_closed, "the trickling client was never closed")
        self.assertGreater(slow_closed, REQUEST_TIMEOUT - 1)
        self.assertTrue(self.answers(port), "/healthz while the slow client trickled")
        self.assertTrue(closed_by_peer(idle, IDLE_TIMEOUT + 5 - (time.monotonic() - began)), "idle connection kept")
        idle_closed = time.monotonic() - began
        self.assertGreater(idle_closed, IDLE_TIMEOUT - 1)
        self.assertTrue(closed_by_peer(kept, IDLE_TIMEOUT + 5 - (time.monotonic() - answered)),
                        "kept-alive connection kept past the idle timeout")
        self.assertGreater(time.monotonic() - answered, IDLE_TIMEOUT - 1)
        self.assertIsNone(sup.proc.poll())

    def test_oversized_headers_and_bodies_are_refused_and_the_server_goes_on(self):
        sup, port, _ = self.start_http(f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\n')
        fits = request(port, "/healthz", headers={"X-Pad": "a" * (15 * 1024)})
        self.assertEqual(fits[0], 200)
        big = request(port, "/healthz", headers={"X-Pad": "a" * (20 * 1024)})
        self.assertEqual(big[:1] + big[2:], (431, "request header fields too large\n"))
        # 1 MiB: 431, or the connection is reset while the client still sends.
        with connect(port) as s:
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
            except OSError:
                pass
            answer = raw_answer(s)
            self.assertTrue(answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer[:100])
        with connect(port) as s:
            s.sendall(b"POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n" + b"b" * 2048)
            self.assertTrue(raw_answer(s).startswith(b"HTTP/1.1 413"))
        with connect(port) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + b"c" * 2048)
            self.assertTrue(raw_answer(s).startswith(b"HTTP/1.1 413"))
        with connect(port) as s:
            s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            self.assertTrue(raw_answer(s).startswith(b"HTTP/1.1 400"))
        self.assertTrue(self.answers(port))

    def test_a_client_that_does_not_read_its_answers_is_closed_after_the_write_timeout(self):
        sup, port, _ = self.start_http(f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\ninstances = 10\n')
        sup.wait_state("web", "ready", count=10)
        one = len(request(port, "/metrics")[2])
        asked = 4 * socket_buffers_max() // one + 1  # far more than the socket buffers hold
        s = connect(port)
        self.addCleanup(s.close)
        pipelined = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * asked
        s.settimeout(1)
        sent = 0
        # Send as much as the server takes, reading nothing.
        deadline = time.monotonic() + 5
        while sent < len(pipelined) and time.monotonic() < deadline:
            try:
                sent += s.send(pipelined[sent:sent + 65536])
            except socket.timeout:
                pass
        time.sleep(WRITE_TIMEOUT + 3)
        answers = raw_answer(s, timeout=20).count(b"HTTP/1.1 200")
        self.assertLess(answers, asked, "every answer arrived: the stalled write was waited for")
        self.assertTrue(self.answers(port))

    def test_connections_beyond_the_cap_are_closed_at_once_and_said_once(self):
        # A descriptor limit of 400 caps HTTP at a quarter of it: 100 connections.
        sup, port, _ = self.start_http(f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\n', nofile=400)
        held = [connect(port) for _ in range(100)]
        self.addCleanup(lambda: [c.close() for c in held])
        extra = [connect(port) for _ in range(5)]
        self.addCleanup(lambda: [c.close() for c in extra])
        for c in extra:
            self.assertTrue(closed_by_peer(c, 2), "a connection beyond the cap stayed open")
        self.assertFalse(self.answers(port))
        sup.wait_stderr("refusing HTTP connections: 100 open, the most allowed")
        self.assertEqual(sup.stderr().count("refusing HTTP connections"), 1, sup.stderr())
        self.assertFalse(closed_by_peer(held[0], 0.5), "a connection within the cap was closed")
        for c in held[:10]:
            c.close()
        sup.wait_for(lambda: self.answers(port), 5, "/healthz once connections were freed")
        sup.wait_stderr("accepting HTTP connections again (")

    def test_a_thousand_idle_connections_leave_the_control_socket_and_new_requests_quick(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard < 8192:
            self.skipTest(f"RLIMIT_NOFILE hard limit {hard}: the cap would be below 1,000 connections")
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        sup, port, _ = self.start_http(f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_state("web", "ready")
        held = [connect(port) for _ in range(1000)]
        self.addCleanup(lambda: [c.close() for c in held])
        took = []
        for _ in range(5):
            began = time.monotonic()
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
                c.settimeout(5)
                c.connect(str(sup.socket))
                c.sendall(b'{"command": "status"}\n')
                reply = b""
                while not reply.endswith(b"\n"):
                    chunk = c.recv(65536)
                    self.assertTrue(chunk)
                    reply += chunk
            took.append(time.monotonic() - began)
            self.assertEqual(json.loads(reply)["result"]["supervisor"], "test")
        # The median: the machine is shared, one slow answer may be a neighbour's doing.
        self.assertLess(sorted(took)[2], 0.1, f"the control socket took {[round(t * 1000) for t in took]} ms")
        self.assertEqual(sup.status()["supervisor"], "test")
        began = time.monotonic()
        self.assertEqual(request(port, "/healthz")[0], 200)
        self.assertLess(time.monotonic() - began, 1)
        self.assertFalse(closed_by_peer(held[-1], 0.1), "an idle connection within the cap was closed")

    # As the control socket's own test (access_test): UBSan's vptr check needs a free descriptor.
    @unittest.skipIf(SANITIZED, "UBSan's vptr check needs a free descriptor")
    def test_a_full_descriptor_table_backs_off_and_serves_the_waiting_client_later(self):
        nofile = 64
        sup, port, _ = self.start_http(f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\n', nofile=nofile)
        sup.wait_state("web", "ready")
        pid = sup.taskmux_pid()
        held = []
        self.addCleanup(lambda: [c.close() for c in held])
        while len(os.listdir(f"/proc/{pid}/fd")) < nofile:
            before = len(os.listdir(f"/proc/{pid}/fd"))
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(str(sup.socket))
            held.append(c)
            sup.wait_for(lambda: len(os.listdir(f"/proc/{pid}/fd")) > before, 5, "taskmux to accept a connection")
            self.assertLess(len(held), nofile)
        waiting = connect(port)
        self.addCleanup(waiting.close)
        waiting.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        start = cpu_seconds(pid)
        time.sleep(2)
        used = cpu_seconds(pid) - start
        self.assertLess(used, 0.2, f"taskmux used {used:.2f}s of CPU in 2s with a connection it cannot accept")
        sup.wait_stderr("unable to accept an HTTP connection")
        self.assertEqual(sup.stderr().count("unable to accept an HTTP connection"), 1, sup.stderr())
        held.pop().close()
        self.assertTrue(raw_answer(waiting).startswith(b"HTTP/1.1 200"))
        sup.wait_stderr("accepting HTTP connections again (after")


def socket_buffers_max():
    """The most a TCP connection's two buffers (receive + send) may grow to, in bytes."""
    total = 0
    for name in ("tcp_rmem", "tcp_wmem"):
        with open(f"/proc/sys/net/ipv4/{name}") as f:
            total += int(f.read().split()[2])
    return total


def cpu_seconds(pid):
    """utime + stime of every thread of `pid` (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    unittest.main()
