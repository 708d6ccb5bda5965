#!/usr/bin/env python3
# Demo web task: a tiny Fibonacci JSON API. Several instances share one port
# (SO_REUSEPORT) and the kernel spreads connections across them.
import json
import os
import re
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "8000"))
INSTANCE = os.environ.get("TASK_INSTANCE", "0")
MAX_COUNT = 10000  # fib(10000) has ~2000 digits; the full list is already ~10 MB of JSON


def notify(message):
    """Send an sd_notify message to taskmux, if it gave us a socket."""
    path = os.environ.get("NOTIFY_SOCKET", "")
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(message.encode(), path)
    except OSError:
        pass  # best effort: a lost notification must not take the service down


def fibonacci(count):
    numbers, a, b = [], 0, 1
    for _ in range(count):
        numbers.append(a)
        a, b = b, a + b
    return numbers


def parse_count(query):
    values = parse_qs(query, keep_blank_values=True).get("count")
    if not values or values[0] == "":
        return None, "missing query parameter 'count' (e.g. /fibonacci/list?count=10)"
    raw = values[0].strip()
    if re.fullmatch(r"-\d+", raw):
        return None, f"count must be >= 0, got {raw}"
    if not re.fullmatch(r"\+?\d+", raw):
        return None, f"count must be an integer, got {raw!r}"
    count = int(raw)
    if count > MAX_COUNT:
        return None, f"count must be <= {MAX_COUNT}, got {count}"
    return count, None


class Handler(BaseHTTPRequestHandler):
    server_version = "fibonacci/1.0"

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/health":
            self.send_json(200, {"status": "UP", "instance": int(INSTANCE)})
        elif url.path == "/fibonacci/list":
            count, error = parse_count(url.query)
            if error:
                self.send_json(400, {"error": error})
            else:
                self.send_json(200, {"answer": fibonacci(count)})
        else:
            self.send_json(404, {"error": f"no such path: {url.path}"})

    def not_allowed(self):
        self.send_json(405, {"error": f"method {self.command} not allowed"})

    do_POST = do_PUT = do_PATCH = do_DELETE = not_allowed

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Instance", INSTANCE)
        self.end_headers()
        self.wfile.write(data)

    def log_request(self, code="-", size="-"):
        method = getattr(self, "command", None) or "-"
        path = getattr(self, "path", None) or "-"
        print(f"{method} {path} {getattr(code, 'value', code)}", flush=True)

    def log_message(self, format, *args):
        # Only errors (bad request lines, timeouts) get here; log_request covers the rest.
        print(format % args, file=sys.stderr, flush=True)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # Every instance binds the same port; the kernel balances connections between them.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


def main():
    try:
        httpd = Server((HOST, PORT), Handler)
    except OSError as e:
        print(f"cannot listen on {HOST}:{PORT}: {e}", file=sys.stderr, flush=True)
        return 1

    def stop(signum, _frame):
        print(f"{signal.Signals(signum).name} received, shutting down", flush=True)
        # shutdown() waits for serve_forever(), which runs in this very thread: call it from another.
        threading.Thread(target=httpd.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"listening on {HOST}:{PORT} (instance {INSTANCE})", flush=True)
    notify("READY=1")
    httpd.serve_forever(poll_interval=0.2)
    httpd.server_close()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
