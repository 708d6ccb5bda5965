"""The stacks of examples/, each run from its own config.toml with the real Debian programs, as
root (README "Examples"): nginx + uWSGI, gunicorn + nginx, a web app with PostgreSQL and nginx,
reports to RabbitMQ. A test runs a copy of the example's folder (readable by www-data and
postgres, as an image's /app is), moving ports and directories only through the
`${VAR:-default}`s the config offers; it checks the stack end to end, then stops taskmux with
SIGTERM: exit 0, no SIGKILL needed, nothing of the stack left.
Also `kill_mode` against real programs (SPEC "Task lifecycle", docs/lifecycle.md): with the
default "mixed" gunicorn and PostgreSQL shut down their own way, with "group" their workers
and backends get the signal too; and nginx without `daemon off;` is reported as a program that
put itself in the background, and nothing of it is left."""
import glob
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid
from contextlib import closing
from pathlib import Path

from harness import REPO, TASKMUX, TaskmuxTest, children_of, free_port, read_queues

try:
    import psycopg2
except ImportError:
    psycopg2 = None
try:
    import pika
    import pika.exceptions
except ImportError:
    pika = None

EXAMPLES = REPO / "examples"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
UWSGI_PYTHON3 = "/usr/lib/uwsgi/plugins/python3_plugin.so"
BROKER_SCRIPT = REPO / "tests" / "services" / "rabbitmq.sh"
# Not amqp_test's port: ctest may run both files at once.
AMQP_PORT = int(os.environ.get("TASKMUX_TEST_EXAMPLES_AMQP_PORT", "5697"))
# What gunicorn's master says of a worker that a signal killed (20.x; newer releases).
GUNICORN_WORKER_KILLED = re.compile(r"Worker with pid \d+ was terminated due to signal \d+|"
                                    r"Worker \(pid:\d+\) was sent SIG[A-Z]+")


def missing(*programs):
    """The reason to skip when one of `programs` (paths or names in PATH) is not installed."""
    gone = [p for p in programs if not (os.path.exists(p) if os.path.isabs(p) else shutil.which(p))]
    return f"not installed: {', '.join(gone)}" if gone else None


def needs(*programs):
    reason = missing(*programs)
    return unittest.skipIf(reason is not None, reason)


def postgres_bin():
    """Debian's PostgreSQL server programs: the newest /usr/lib/postgresql/N/bin (not in PATH)."""
    found = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.path.exists(f"{d}/initdb")]
    return max(found, key=lambda d: int(Path(d).parent.name), default="/usr/lib/postgresql/15/bin")


def is_listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def http(url, data=None):
    """(status, body as text) of a GET, or a POST of `data`."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=15) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def user_of(pid):
    with open(f"/proc/{pid}/status") as f:
        uid = next(int(line.split()[1]) for line in f if line.startswith("Uid:"))
    return pwd.getpwuid(uid).pw_name


def catches(pid, signum):
    """Whether `pid` has a handler for `signum` (SigCgt in /proc/PID/status)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            mask = next(int(line.split()[1], 16) for line in f if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(mask & (1 << (signum - 1)))


def processes_in(dirs, but=()):
    """Live processes, other than the pids in `but`, working in or naming in their command line
    one of `dirs`: every process of a stack that runs from a copy of its example (nginx and
    PostgreSQL write their titles over their environment, where the harness's mark is)."""
    dirs = [os.path.realpath(d) for d in dirs]
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in but:
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                zombie = f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            continue
        if not zombie and any(cwd == d or cwd.startswith(d + "/") or d in cmdline for d in dirs):
            found.append(int(entry))
    return found


class ExampleTest(TaskmuxTest):
    """Runs copies of examples/NAME and checks how they end."""

    def run_example(self, name, env, edits=(), dirs=()):
        """taskmux run on a copy of examples/NAME, with `env` moving its ports and directories;
        `edits`: (file, old, new) replacements in the copy, for tests that change one setting;
        `dirs`: more directories of the stack (a data directory) for the leftover checks."""
        root = Path(tempfile.mkdtemp(prefix="taskmux-example-"))
        self.addCleanup(shutil.rmtree, root, True)
        os.chmod(root, 0o755)
        copy = root / name
        shutil.copytree(EXAMPLES / name, copy, ignore=shutil.ignore_patterns(".taskmux", "run", "__pycache__"))
        for file, old, new in edits:
            text = (copy / file).read_text()
            self.assertIn(old, text, f"examples/{name}/{file} changed: update this test's edit")
            (copy / file).write_text(text.replace(old, new, 1))
        self.stack_dirs = [root, *dirs]
        self.addCleanup(self.kill_stack)  # after the supervisor's own cleanup (cleanups run last first)
        return self.start(None, config_file=copy / "config.toml", env={k: str(v) for k, v in env.items()})

    def kill_stack(self):
        for pid in processes_in(self.stack_dirs):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def wait_all_ready(self, sup, timeout=60):
        def ready():
            rows = sup.rows()
            return rows if rows and all(r["state"] == "ready" for r in rows) else None
        return {r["task"]: r for r in sup.wait_for(ready, timeout, "every task ready")}

    def stop_and_check(self, sup, ports=(), running=True):
        """SIGTERM to taskmux: exit 0 without any SIGKILL, and nothing of the stack left (by
        directory, by the harness's mark, by listening port). `running`: some process of the
        stack runs now (so the search by directory is known to find them)."""
        if running:
            self.assertTrue(processes_in(self.stack_dirs, but={sup.proc.pid, sup.taskmux_pid()}),
                            "the stack's processes are not found by their directory")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(90), 0, sup.stderr()[-3000:])
        self.assertNotIn("SIGKILL", sup.stderr())
        self.assertEqual(processes_in(self.stack_dirs), [])
        self.assertEqual(sup.leftovers(), [])
        for port in ports:
            self.assertFalse(is_listening(port), f"something still listens on port {port}")


@unittest.skipUnless(os.geteuid() == 0, "needs root: the tasks run as www-data and postgres")
@needs(NGINX, "uwsgi", UWSGI_PYTHON3)
class NginxUwsgiExampleTest(ExampleTest):
    def test_nginx_in_front_of_uwsgi_both_as_www_data(self):
        ports = {"NGINX_PORT": free_port(), "UWSGI_PORT": free_port()}
        dashboard = f"127.0.0.1:{free_port()}"
        sup = self.run_example("nginx-uwsgi", {**ports, "HTTP_LISTEN": dashboard})
        rows = self.wait_all_ready(sup)

        status, body = http(f"http://127.0.0.1:{ports['NGINX_PORT']}/through-nginx")
        self.assertEqual(status, 200, body)
        worker = re.fullmatch(r"hello from uWSGI worker (\d+) as www-data: GET /through-nginx\n", body)
        self.assertTrue(worker, body)
        self.assertIn(int(worker[1]), children_of(rows["uwsgi"]["pid"]))
        sup.wait_stdout('"GET /through-nginx HTTP/1.1" 200')  # nginx's access log, on /dev/stdout

        uwsgi = [rows["uwsgi"]["pid"], *children_of(rows["uwsgi"]["pid"])]
        self.assertEqual({user_of(p) for p in uwsgi}, {"www-data"})
        nginx_workers = children_of(rows["nginx"]["pid"])
        self.assertEqual(user_of(rows["nginx"]["pid"]), "root")
        self.assertTrue(nginx_workers)
        self.assertEqual({user_of(p) for p in nginx_workers}, {"www-data"})
        self.assertEqual(http(f"http://{dashboard}/readyz")[0], 200)

        self.stop_and_check(sup, ports.values())
        self.assertIn("uwsgi[0] | goodbye to uWSGI", sup.stderr())  # die-on-term: SIGTERM ends uWSGI


@unittest.skipUnless(os.geteuid() == 0, "needs root: nginx starts its workers as www-data")
@needs(NGINX, "uwsgi", UWSGI_PYTHON3)
class NginxInTheBackgroundTest(ExampleTest):
    def test_nginx_without_daemon_off_is_reported_and_nothing_of_it_is_left(self):
        ports = {"NGINX_PORT": free_port(), "UWSGI_PORT": free_port()}
        sup = self.run_example("nginx-uwsgi", {**ports, "HTTP_LISTEN": f"127.0.0.1:{free_port()}"},
                               edits=[("nginx.conf", "daemon off;\n", "")])
        line = sup.wait_for(lambda: next((l for l in sup.stderr().splitlines()
                                          if "nginx[0]" in l and "put itself in the background" in l), None),
                            30, "the line saying nginx put itself in the background")
        self.assertIn("`daemon off;`", line)
        faults = sup.wait_for(lambda: [b for _, _, b in read_queues(sup.dir / ".taskmux", "_fault_nginx")
                                       if b["event"] == "fault" and "put itself in the background" in b["message"]],
                              10, "the fault report")
        self.assertIn("`daemon off;`", faults[0]["message"])
        # restart = "always" starts it again, each time with the same result, until start_limit.
        sup.wait_state("nginx", "fatal", timeout=30)
        self.assertFalse(is_listening(ports["NGINX_PORT"]), "the nginx that went to the background still runs")
        self.stop_and_check(sup, ports.values())


@unittest.skipUnless(os.geteuid() == 0, "needs root: gunicorn runs as www-data")
@needs(NGINX, "gunicorn")
class GunicornNginxExampleTest(ExampleTest):
    def start_stack(self, edits=()):
        self.ports = {"NGINX_PORT": free_port(), "APP_PORT": free_port()}
        sup = self.run_example("gunicorn-nginx", {**self.ports, "HTTP_LISTEN": f"127.0.0.1:{free_port()}"}, edits)
        self.wait_all_ready(sup)
        self.wait_workers(sup)
        return sup

    def wait_workers(self, sup):
        """gunicorn's 4 workers are up and handle SIGTERM themselves (a worker that is still
        booting dies of the signal whatever the kill_mode)."""
        def up():
            rows = sup.rows("app")
            workers = children_of(rows[0]["pid"]) if rows and rows[0]["pid"] else []
            return workers if len(workers) == 4 and all(catches(w, signal.SIGTERM) for w in workers) else None
        return sup.wait_for(up, 30, "4 gunicorn workers handling SIGTERM")

    def stop_app(self, sup):
        r = subprocess.run([TASKMUX, "stop", "app", "-c", str(sup.config)], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        sup.wait_stderr("Shutting down: Master")  # gunicorn logs to stderr

    def test_gunicorn_behind_nginx(self):
        sup = self.start_stack()
        status, body = http(f"http://127.0.0.1:{self.ports['NGINX_PORT']}/through-nginx")
        self.assertEqual(status, 200, body)
        worker = re.fullmatch(r"hello from gunicorn worker (\d+): GET /through-nginx\n", body)
        self.assertTrue(worker, body)
        self.assertIn(int(worker[1]), children_of(sup.rows("app")[0]["pid"]))
        sup.wait_stdout('"GET /through-nginx HTTP/1.1" 200')
        self.assertEqual(user_of(sup.rows("app")[0]["pid"]), "www-data")
        self.stop_and_check(sup, self.ports.values())

    def test_the_default_kill_mode_leaves_the_workers_to_gunicorns_graceful_shutdown(self):
        sup = self.start_stack()
        self.stop_app(sup)  # taskmux stop app
        r = subprocess.run([TASKMUX, "start", "app", "-c", str(sup.config)], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        sup.wait_state("app", "ready", timeout=30)
        self.wait_workers(sup)
        self.stop_and_check(sup, self.ports.values())  # and the SIGTERM shutdown
        out = sup.stderr()
        self.assertEqual(out.count("Handling signal: term"), 2, out[-3000:])
        self.assertEqual(out.count("Shutting down: Master"), 2, out[-3000:])
        self.assertGreaterEqual(out.count("Worker exiting"), 8, out[-3000:])
        self.assertIsNone(GUNICORN_WORKER_KILLED.search(out), out[-3000:])

    def test_kill_mode_group_signals_the_workers_behind_gunicorns_back(self):
        sup = self.start_stack(edits=[("config.toml", 'stop_timeout = "25s"\n',
                                       'stop_timeout = "25s"\nkill_mode = "group"\n')])
        self.stop_app(sup)
        self.assertRegex(sup.stderr(), GUNICORN_WORKER_KILLED)
        self.stop_and_check(sup, self.ports.values())


@unittest.skipUnless(os.geteuid() == 0, "needs root: the tasks run as postgres and www-data")
@needs(NGINX, "gunicorn", "pg_isready", f"{postgres_bin()}/postgres", f"{postgres_bin()}/initdb")
@unittest.skipIf(psycopg2 is None, "not installed: python3-psycopg2")
class WebappPostgresNginxExampleTest(ExampleTest):
    """One data directory for the class: the first test to run creates the cluster, the
    others start on it as a restarted container would."""

    @classmethod
    def setUpClass(cls):
        cls.pg_home = tempfile.mkdtemp(prefix="taskmux-example-pg-")
        os.chmod(cls.pg_home, 0o755)
        pw = pwd.getpwnam("postgres")
        os.chown(cls.pg_home, pw.pw_uid, pw.pw_gid)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pg_home, ignore_errors=True)

    def start_stack(self, edits=()):
        self.ports = {"NGINX_PORT": free_port(), "APP_PORT": free_port(), "PGPORT": free_port()}
        env = {**self.ports, "HTTP_LISTEN": f"127.0.0.1:{free_port()}", "PG_BIN": postgres_bin(),
               "PGDATA": f"{self.pg_home}/data"}
        sup = self.run_example("webapp-postgres-nginx", env, edits, dirs=[self.pg_home])
        self.wait_all_ready(sup, timeout=90)  # initdb on a busy machine takes seconds
        return sup

    def connect(self):
        """A client of our own, as the app's role (config.toml's default password)."""
        return psycopg2.connect(host="127.0.0.1", port=self.ports["PGPORT"], user="app", password="app",
                                dbname="app", connect_timeout=10)

    def test_notes_go_through_nginx_and_gunicorn_into_postgresql(self):
        sup = self.start_stack()
        url = f"http://127.0.0.1:{self.ports['NGINX_PORT']}/notes"
        text = f"note {uuid.uuid4().hex}"
        status, body = http(url, data=text.encode())
        self.assertEqual(status, 201, body)
        note = json.loads(body)
        self.assertEqual(note["body"], text)
        status, body = http(url)
        self.assertEqual(status, 200, body)
        self.assertIn(note, json.loads(body))
        with closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute("SELECT body FROM notes WHERE id = %s", (note["id"],))
            self.assertEqual(cur.fetchone(), (text,))
        rows = {r["task"]: r for r in sup.rows()}
        self.assertEqual(user_of(rows["db"]["pid"]), "postgres")
        self.assertEqual(user_of(rows["app"]["pid"]), "www-data")
        self.stop_and_check(sup, self.ports.values())
        out = sup.stderr()  # PostgreSQL logs to stderr
        self.assertIn("received fast shutdown request", out)  # stop_signal = "INT"
        self.assertIn("database system is shut down", out)

    def stop_db_during_a_statement(self, kill_mode_line):
        """taskmux stop db (stop_signal TERM: PostgreSQL's smart shutdown) while a client's
        `SELECT pg_sleep(3)` runs; returns (taskmux, what the client got, how long it took)."""
        sup = self.start_stack(edits=[("config.toml", 'stop_signal = "INT"\n',
                                       f'stop_signal = "TERM"\n{kill_mode_line}')])
        client = self.connect()
        backend = client.get_backend_pid()
        outcome = {}

        def statement():
            started = time.monotonic()
            try:
                with client.cursor() as cur:
                    cur.execute("SELECT pg_sleep(3), 'completed'")
                    outcome["result"] = cur.fetchone()[1]
            except psycopg2.Error as e:
                outcome["result"] = str(e).strip()
            outcome["took"] = time.monotonic() - started

        def running():
            # A session of its own, closed at once: a smart shutdown waits for every session.
            with closing(self.connect()) as conn, conn.cursor() as cur:
                cur.execute("SELECT query FROM pg_stat_activity WHERE pid = %s AND state = 'active'", (backend,))
                row = cur.fetchone()
                return row is not None and "pg_sleep" in row[0]

        thread = threading.Thread(target=statement)
        thread.start()
        try:
            sup.wait_for(running, 10, "the client's statement to run")
            stop = subprocess.Popen([TASKMUX, "stop", "db", "-c", str(sup.config)], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            thread.join(30)
        finally:
            client.close()
        _, err = stop.communicate(timeout=60)
        self.assertEqual(stop.returncode, 0, err)
        sup.wait_state("db", "stopped")
        return sup, outcome.get("result"), outcome.get("took")

    def test_the_default_kill_mode_lets_a_smart_shutdown_finish_the_running_statement(self):
        sup, result, took = self.stop_db_during_a_statement("")
        self.assertEqual(result, "completed")
        self.assertGreaterEqual(took, 2.9)
        out = sup.stderr()  # PostgreSQL logs to stderr
        self.assertIn("received smart shutdown request", out)
        self.assertNotIn("terminating connection due to administrator command", out)
        self.stop_and_check(sup, self.ports.values())

    def test_kill_mode_group_cancels_the_running_statement(self):
        sup, result, took = self.stop_db_during_a_statement('kill_mode = "group"\n')
        # The client sees its connection end (libpq may or may not have read the reason first);
        # PostgreSQL's log says why.
        self.assertNotEqual(result, "completed")
        self.assertLess(took, 2.9)
        self.assertIn("FATAL:  terminating connection due to administrator command", sup.stderr())
        self.stop_and_check(sup, self.ports.values())


@needs("/usr/lib/rabbitmq/bin/rabbitmq-server")
@unittest.skipIf(pika is None, "not installed: python3-pika")
class ReportsRabbitmqExampleTest(ExampleTest):
    URL = f"amqp://guest:guest@127.0.0.1:{AMQP_PORT}/%2f"
    QUEUES = ["_fault_sync", "_status_sync", "_status_migrate", "_success_refresh", "_status_reports"]

    @classmethod
    def setUpClass(cls):
        cls.broker_dir = tempfile.mkdtemp(prefix="taskmux-example-broker-")
        cls.broker_error = None
        r = cls.broker("start")
        if r.returncode != 0:
            # Not a skip: the broker is installed, so one that cannot start is a failure.
            cls.broker_error = f"{BROKER_SCRIPT} start failed (exit {r.returncode}):\n{r.stdout}{r.stderr}"

    @classmethod
    def tearDownClass(cls):
        try:
            cls.broker("stop")
        finally:
            shutil.rmtree(cls.broker_dir, ignore_errors=True)

    @classmethod
    def broker(cls, command):
        return subprocess.run(["bash", str(BROKER_SCRIPT), command, cls.broker_dir, str(AMQP_PORT)],
                              capture_output=True, text=True, timeout=150)

    def take(self, got):
        """Takes what the example's queues hold now into `got` {queue: [(properties, report)]}."""
        with closing(pika.BlockingConnection(pika.URLParameters(self.URL))) as conn:
            for queue in self.QUEUES:
                channel = conn.channel()
                try:
                    channel.queue_declare(queue, passive=True)
                except pika.exceptions.ChannelClosedByBroker:
                    continue
                while True:
                    method, properties, body = channel.basic_get(queue, auto_ack=True)
                    if method is None:
                        break
                    got.setdefault(queue, []).append((properties, json.loads(body)))
                channel.close()
        return got

    def test_reports_of_a_crash_loop_a_one_shot_and_a_looped_job_reach_rabbitmq(self):
        if self.broker_error:
            self.fail(self.broker_error)
        sup = self.run_example("reports-rabbitmq", {"RABBIT_URL": self.URL, "HTTP_LISTEN": f"127.0.0.1:{free_port()}"})
        sup.wait_state("sync", "fatal", timeout=30)
        sup.wait_state("migrate", "exited", timeout=10)
        sup.wait_state("refresh", "waiting", timeout=10)

        # The README's reader (pika) lists them and leaves them in their queues.
        reader = [sys.executable, str(sup.dir / "read_reports.py"), *self.QUEUES]

        def read():
            r = subprocess.run(reader, capture_output=True, text=True, timeout=30,
                               env={**os.environ, "RABBIT_URL": self.URL})
            self.assertEqual(r.returncode, 0, r.stderr)
            return r.stdout if "fatal: more than 3 starts" in r.stdout and "_success_refresh:" in r.stdout else None
        listed = sup.wait_for(read, 20, "read_reports.py to list the reports")
        self.assertIn("_fault_sync: ", listed)
        self.assertIn("(stderr: unable to reach partner.example:443: connection refused)", listed)
        self.assertIn("_status_migrate: ", listed)
        self.assertIn("exited with code 0", listed)

        # Taken with pika: every one persistent JSON, where docs/reports.md routes it.
        got = {}

        def arrived():
            self.take(got)
            events = {q: [b["event"] for _, b in got.get(q, [])] for q in self.QUEUES}
            done = (events["_fault_sync"].count("exited") == 3 and "fatal" in events["_fault_sync"]
                    and "exited" in events["_status_migrate"] and "cycle_succeeded" in events["_success_refresh"]
                    and "snapshot" in events["_status_reports"])
            return events if done else None
        events = sup.wait_for(arrived, 20, "the reports on RabbitMQ")
        for queue, messages in got.items():
            for properties, _ in messages:
                self.assertEqual((properties.delivery_mode, properties.content_type), (2, "application/json"), queue)
        fatal = next(b for _, b in got["_fault_sync"] if b["event"] == "fatal")
        self.assertEqual(fatal["stderr"], ["unable to reach partner.example:443: connection refused"])
        migrate = [b for _, b in got["_status_migrate"] if b["event"] == "exited"]
        self.assertEqual(migrate[0]["exit_code"], 0)
        self.assertEqual(set(events["_status_sync"]) - {"started", "backoff"}, set(), events)
        self.stop_and_check(sup, running=False)


if __name__ == "__main__":
    unittest.main()
