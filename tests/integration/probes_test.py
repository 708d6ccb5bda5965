"""Ready probes (tcp, http, exec: retried until they pass) and the http health check (fails
`failures` times in a row -> stopped as a failure, health_failed fault, restarted)."""
import json
import os
import socket
import sys
import time

from harness import TaskmuxTest, argv, free_port, read_queues

# A tiny HTTP server on `host` (an IPv4 or IPv6 address): listens only once the file `listen`
# exists, then answers 200 on /health until the file `sick` exists, 503 after; 400 to a request
# whose Host header is not HOST:PORT (IPv6 in brackets).
SERVER = r'''
import http.server, os, socket, sys, time
port, listen, sick, host = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
is_v6 = ":" in host
expected_host = f"[{host}]:{port}" if is_v6 else f"{host}:{port}"
while not os.path.exists(listen):
    time.sleep(0.02)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Host") != expected_host:
            self.send_response(400)
        else:
            self.send_response(503 if os.path.exists(sick) else 200)
        self.end_headers()
    def log_message(self, *a):
        pass
class S(http.server.HTTPServer):
    address_family = socket.AF_INET6 if is_v6 else socket.AF_INET
S((host, port), H).serve_forever()
'''


class ProbesTest(TaskmuxTest):
    def files(self, *names):
        base = f"/tmp/taskmux-probe-{os.getpid()}-{time.monotonic_ns()}"
        paths = [f"{base}-{n}" for n in names]
        self.addCleanup(lambda: [os.unlink(p) for p in paths if os.path.exists(p)])
        return paths

    def server_task(self, name, port, listen, sick, extra, host="127.0.0.1"):
        command = argv(sys.executable, "-c", SERVER, port, listen, sick, host)
        return f'[[task]]\nname = "{name}"\ncommand = {command}\n{extra}\n'

    def check_ready_after_listen(self, ready, host="127.0.0.1"):
        port = free_port(host)
        listen, sick = self.files("listen", "sick")
        sup = self.start(self.server_task("srv", port, listen, sick, f"ready = {ready.format(port=port)}", host) +
                         '[[task]]\nname = "after"\ncommand = ["sleep", "3600"]\ndepends_on = ["srv"]\n')
        sup.wait_state("srv", "running")
        time.sleep(1.5)  # longer than "started" would wait: the probe keeps it from being ready
        self.assertEqual(sup.rows("srv")[0]["state"], "running")
        self.assertEqual(sup.rows("after")[0]["state"], "starting", "depends_on waits for the probe")
        open(listen, "w").close()
        sup.wait_state("srv", "ready", timeout=10)
        sup.wait_state("after", ("running", "ready"), timeout=10)
        return sup

    def test_tcp_probe_waits_for_the_port(self):
        self.check_ready_after_listen('{{ tcp = "127.0.0.1:{port}" }}')

    def test_http_probe_waits_for_a_2xx(self):
        self.check_ready_after_listen('{{ http = "http://127.0.0.1:{port}/health" }}')

    def test_tcp_probe_reaches_an_ipv6_address_written_in_brackets(self):
        self.check_ready_after_listen('{{ tcp = "[::1]:{port}" }}', host="::1")

    def test_http_probe_reaches_an_ipv6_address_written_in_brackets_and_names_it_so(self):
        # The server answers 400 unless the Host header is "[::1]:PORT".
        self.check_ready_after_listen('{{ http = "http://[::1]:{port}/health" }}', host="::1")

    def test_exec_probe_waits_for_exit_0(self):
        (flag,) = self.files("flag")
        sup = self.start(f'[[task]]\nname = "svc"\ncommand = ["sleep", "3600"]\n'
                         f'ready = {{ exec = ["test", "-e", "{flag}"] }}\n')
        sup.wait_state("svc", "running")
        time.sleep(1.5)
        self.assertEqual(sup.rows("svc")[0]["state"], "running")
        open(flag, "w").close()
        sup.wait_state("svc", "ready", timeout=10)

    def test_failing_health_check_stops_and_restarts_the_instance(self):
        port = free_port()
        listen, sick = self.files("listen", "sick")
        open(listen, "w").close()
        sup = self.start(self.server_task(
            "web", port, listen, sick,
            f'ready = {{ http = "http://127.0.0.1:{port}/health" }}\nrestart = "always"\n'
            f'health = {{ http = "http://127.0.0.1:{port}/health", interval = "200ms", timeout = "1s", failures = 3 }}\n'
            'backoff = { initial = "100ms", max = "1s" }'))
        first = sup.wait_state("web", "ready")[0]["pid"]
        time.sleep(1)  # healthy checks pass: nothing happens
        self.assertEqual(sup.rows("web")[0]["pid"], first)
        open(sick, "w").close()
        sup.wait_for(lambda: any(b["event"] == "health_failed" for _, _, b in read_queues(sup.dir / "state", "_fault_web")),
                     timeout=10, what="a health_failed fault")
        fault = [b for _, _, b in read_queues(sup.dir / "state", "_fault_web") if b["event"] == "health_failed"][0]
        self.assertIn("health check failed 3 times in a row", fault["message"])
        self.assertIn(f"http://127.0.0.1:{port}/health: HTTP 503", fault["message"])
        self.assertIn("HTTP 503", fault["message"])
        os.unlink(sick)
        sup.wait_for(lambda: (r := sup.rows("web")) and r[0]["state"] == "ready" and r[0]["pid"] != first,
                     timeout=10, what="a restarted, ready instance")
        self.assertGreaterEqual(sup.rows("web")[0]["restarts"], 1)
