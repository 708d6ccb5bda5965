"""taskmux import (SPEC "Command line"): supervisord.conf files written the way people write them
are converted, the result passes `taskmux check`, and taskmux runs the same programs with the same
arguments, environment and process numbers supervisord would have given them. Where Debian's
supervisor package is installed, supervisord's own parser says what those are."""
import json
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
import tomllib
import unittest
import urllib.request
from pathlib import Path

from harness import TASKMUX, TaskmuxTest, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
UWSGI = "/usr/bin/uwsgi-core"
UWSGI_PYTHON3 = "/usr/lib/uwsgi/plugins/python3_plugin.so"
PYTHON3 = "/usr/bin/python3"

try:
    from supervisor.options import ServerOptions
except ImportError:
    ServerOptions = None

# A program that writes what it was given (argv, some variables, its number) as JSON to the file
# named by its first argument, and the time of its SIGTERM to FILE.stopped, then waits.
RECORDER = r'''import json, os, signal, sys, time
out = sys.argv[1]
def on_term(*_):
    with open(out + ".stopped", "w") as f:
        f.write(str(time.monotonic_ns()))
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
names = sys.argv[2].split(",") if len(sys.argv) > 2 else []
with open(out + ".tmp", "w") as f:
    json.dump({"argv": sys.argv, "env": {n: os.environ.get(n) for n in names},
               "started": time.monotonic_ns(), "cwd": os.getcwd()}, f)
os.rename(out + ".tmp", out)
while True:
    signal.pause()
'''

WSGI_APP = '''import os, pwd
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    user = pwd.getpwuid(os.getuid()).pw_name
    return [("hello from uwsgi as %s at %s\\n" % (user, environ["PATH_INFO"])).encode()]
'''


def runnable(converted):
    """The converted config with the harness's state_dir added to its [supervisor] table."""
    ours = '[supervisor]\nstate_dir = "state"\nname = "test"\nshutdown_timeout = "20s"\n'
    if "\n[supervisor]\n" in converted:
        return converted.replace("\n[supervisor]\n", "\n" + ours, 1)
    return ours + "\n" + converted


class ImportTest(TaskmuxTest):
    def setUp(self):
        self.work = Path(tempfile.mkdtemp(prefix="taskmux-import-"))
        self.addCleanup(shutil.rmtree, self.work, True)
        (self.work / "recorder.py").write_text(RECORDER)
        (self.work / "out").mkdir()

    def convert(self, conf, env=None):
        """`taskmux import conf`: exit 0, and `taskmux check` accepts what it printed."""
        full_env = dict(os.environ, **(env or {}))
        r = subprocess.run([TASKMUX, "import", str(conf)], capture_output=True, text=True, timeout=30,
                           env=full_env)
        self.assertEqual(r.returncode, 0, r.stderr)
        converted = Path(conf).parent / "converted.toml"
        converted.write_text(r.stdout)
        check = subprocess.run([TASKMUX, "check", "-c", str(converted)], capture_output=True, text=True,
                               timeout=30, env=full_env)
        self.assertEqual(check.returncode, 0, check.stderr + "\n--- converted ---\n" + r.stdout)
        return r.stdout, r.stderr

    def run_converted(self, converted, env=None):
        return self.start(runnable(converted), whole_file=True, env=env)

    def recorded(self, sup, name, timeout=15):
        path = self.work / "out" / name
        sup.wait_for(path.exists, timeout, f"{path} to be written")
        return json.loads(path.read_text())

    def stop(self, sup):
        sup.signal(15)
        self.assertEqual(sup.wait_exit(), 0, sup.stderr()[-3000:])
        self.assertEqual(sup.leftovers(), [])


@unittest.skipUnless(os.geteuid() == 0, "needs root: the programs run as www-data")
@unittest.skipUnless(os.path.exists(NGINX), "nginx is not installed (Debian package nginx-light)")
@unittest.skipUnless(os.path.exists(UWSGI) and os.path.exists(UWSGI_PYTHON3),
                     "uWSGI is not installed (Debian packages uwsgi-core, uwsgi-plugin-python3)")
class NginxUwsgiTest(ImportTest):
    """The classic image: supervisord as PID 1 running nginx in front of uWSGI, both logging to
    the container's stdout and stderr."""

    def write_stack(self, home, port, app_port):
        (home / "app.py").write_text(WSGI_APP)
        (home / "uwsgi.ini").write_text(f"""[uwsgi]
plugins-dir = /usr/lib/uwsgi/plugins
plugins = python3
socket = 127.0.0.1:{app_port}
wsgi-file = {home}/app.py
master = true
processes = 2
need-app = true
""")
        (home / "nginx.conf").write_text(f"""user www-data;
pid {home}/nginx.pid;
error_log /dev/stderr info;
events {{ worker_connections 64; }}
http {{
  access_log /dev/stdout;
  client_body_temp_path {home}/body; proxy_temp_path {home}/proxy; fastcgi_temp_path {home}/fastcgi;
  uwsgi_temp_path {home}/uwsgi; scgi_temp_path {home}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{ include /etc/nginx/uwsgi_params; uwsgi_pass 127.0.0.1:{app_port}; }}
  }}
}}
""")
        conf = home / "supervisord.conf"
        conf.write_text(f"""[supervisord]
nodaemon=true
user=root
logfile=/dev/null
logfile_maxbytes=0
pidfile=/run/supervisord.pid

[program:uwsgi]
command={UWSGI} --ini %(here)s/uwsgi.ini --die-on-term
user=www-data
priority=5
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
stderr_logfile=/dev/stderr
stderr_logfile_maxbytes=0

[program:nginx]
command={NGINX} -c %(here)s/nginx.conf -g 'daemon off;'
priority=10
; graceful stop, as nginx's documentation says
stopsignal=QUIT
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
stderr_logfile=/dev/stderr
stderr_logfile_maxbytes=0
""")
        return conf

    def test_nginx_in_front_of_uwsgi_answers_and_stops_cleanly(self):
        home = self.work / "stack"
        home.mkdir()
        www = pwd.getpwnam("www-data")
        os.chown(home, www.pw_uid, www.pw_gid)
        os.chmod(self.work, 0o755)
        port, app_port = free_port(), free_port()
        converted, summary = self.convert(self.write_stack(home, port, app_port))
        tasks = {t["name"]: t for t in tomllib.loads(converted)["task"]}
        self.assertEqual(list(tasks), ["uwsgi", "nginx"])
        self.assertEqual(tasks["uwsgi"]["command"], [UWSGI, "--ini", f"{home}/uwsgi.ini", "--die-on-term"])
        self.assertEqual(tasks["uwsgi"]["user"], "www-data")
        self.assertEqual(tasks["nginx"]["command"], [NGINX, "-c", f"{home}/nginx.conf", "-g", "daemon off;"])
        self.assertEqual(tasks["nginx"]["depends_on"], ["uwsgi"])
        self.assertEqual(tasks["nginx"]["stop_signal"], "QUIT")
        self.assertIn("[supervisord] user, pidfile", summary)

        sup = self.run_converted(converted)

        def answer():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=2) as r:
                    return r.read()
            except OSError:
                return None
        self.assertEqual(sup.wait_for(answer, 30, "an answer from uWSGI through nginx"),
                         b"hello from uwsgi as www-data at /hello\n")
        # nginx's access log (a www-data worker writing /dev/stdout) and uWSGI's request log
        # (stderr) come out of taskmux, each line with its task's prefix.
        sup.wait_stdout('"GET /hello HTTP/1.1" 200')
        self.assertRegex(sup.stdout(), r'nginx\[0\] \| .*"GET /hello HTTP/1.1" 200')
        sup.wait_for(lambda: "GET /hello =>" in sup.stderr(), 10, "uWSGI's request log")
        self.assertRegex(sup.stderr(), r"uwsgi\[0\] \| .*GET /hello =>")
        self.stop(sup)


class NumprocsTest(ImportTest):
    """numprocs with %(process_num)s: each instance gets supervisord's number, also shifted by
    numprocs_start, in its arguments, its environment and its directory."""

    def write_conf(self):
        for n in range(3):
            (self.work / f"dir{n:02d}").mkdir()
        conf = self.work / "supervisord.conf"
        conf.write_text(f"""[supervisord]
nodaemon = true

[program:worker]
command = {PYTHON3} %(here)s/recorder.py %(here)s/out/%(program_name)s-%(process_num)s.json WORKER_ID,TASK_INSTANCE %(process_num)s
process_name = %(program_name)s_%(process_num)02d
numprocs = 3
environment = WORKER_ID="w%(process_num)02d"
directory = %(here)s/dir%(process_num)02d
autorestart = true

[program:shifted]
command = {PYTHON3} %(here)s/recorder.py %(here)s/out/shifted-%(process_num)s.json WORKER_ID --port=80%(process_num)02d
process_name = shifted_%(process_num)s
numprocs = 2
numprocs_start = 5
environment = WORKER_ID="s%(process_num)s,%(numprocs)s"
""")
        return conf

    def test_each_instance_receives_its_number(self):
        converted, _ = self.convert(self.write_conf())
        tasks = {t["name"]: t for t in tomllib.loads(converted)["task"]}
        self.assertEqual(tasks["worker"]["instances"], 3)
        self.assertEqual(tasks["shifted"]["instances"], 2)
        self.assertIsInstance(tasks["worker"]["command"], str)  # a shell command: $TASK_INSTANCE
        sup = self.run_converted(converted)
        for n in range(3):
            got = self.recorded(sup, f"worker-{n}.json")
            self.assertEqual(got["argv"][3:], [str(n)])
            self.assertEqual(got["env"], {"WORKER_ID": f"w{n:02d}", "TASK_INSTANCE": str(n)})
            self.assertEqual(got["cwd"], str(self.work / f"dir{n:02d}"))
        for i, n in enumerate((5, 6)):
            got = self.recorded(sup, f"shifted-{n}.json")
            self.assertEqual(got["argv"][3:], [f"--port=80{n:02d}"], i)
            self.assertEqual(got["env"], {"WORKER_ID": f"s{n},2"})
        self.assertEqual(sorted(os.listdir(self.work / "out")),
                         sorted([f"worker-{n}.json" for n in range(3)] + ["shifted-5.json", "shifted-6.json"]))
        self.stop(sup)


class EnvironmentIncludePriorityTest(ImportTest):
    """environment lines with quotes, commas, $ and %(ENV_HOME)s; [include] with a glob; programs
    ordered by priority; [group:x] and [eventlistener:x], which become comments."""

    def write_conf(self):
        conf_d = self.work / "conf.d"
        conf_d.mkdir()
        record = f"{PYTHON3} %(here)s/../recorder.py %(here)s/../out/%(program_name)s.json"
        names = "STAGE,SHARED,GREETING,QUOTED,DATA_DIR,DOLLAR,PERCENT,UNICODE"
        (conf_d / "10-db.conf").write_text(f"[program:db]\ncommand = {record} {names}\npriority = 1\n")
        (conf_d / "20-api.conf").write_text(f"""[program:api]
command = {record} {names}
environment = GREETING="hello, world",QUOTED='she said "hi" there',DATA_DIR="%(ENV_HOME)s/data",
    DOLLAR="$HOME ${{HOME}} $$",PERCENT="100%%",SHARED="from api",UNICODE="héllo wörld"

[program:jobs]
command = {record} {names}
""")
        (conf_d / "README").write_text("[program:not_included]\ncommand = /bin/false\n")
        conf = self.work / "supervisord.conf"
        conf.write_text("""[supervisord]
nodaemon = true
environment = STAGE="test",SHARED="from supervisord"

[include]
files = conf.d/*.conf

[group:backend]
programs = api,jobs
priority = 10

[eventlistener:crashmail]
command = /usr/local/bin/crashmail -a -m ops@example.com
events = PROCESS_STATE_EXITED
""")
        return conf

    def test_environment_include_and_priorities(self):
        home = str(self.work / "home")
        converted, summary = self.convert(self.write_conf(), env={"HOME": home})
        tasks = {t["name"]: t for t in tomllib.loads(converted)["task"]}
        self.assertEqual(sorted(tasks), ["api", "db", "jobs"])
        self.assertEqual(tasks["api"]["depends_on"], ["db"])
        self.assertEqual(tasks["jobs"]["depends_on"], ["db"])
        self.assertNotIn("depends_on", tasks["db"])
        self.assertIn("# [group:backend]", converted)
        self.assertIn("# [eventlistener:crashmail]", converted)
        self.assertIn("[eventlistener:crashmail] (not converted)", summary)
        self.assertIn("[group:backend] (no groups in taskmux)", summary)
        sup = self.run_converted(converted, env={"HOME": home})
        api = self.recorded(sup, "api.json")
        self.assertEqual(api["env"], {
            "STAGE": "test", "SHARED": "from api", "GREETING": "hello, world", "QUOTED": 'she said "hi" there',
            "DATA_DIR": f"{home}/data", "DOLLAR": "$HOME ${HOME} $$", "PERCENT": "100%",
            "UNICODE": "héllo wörld"})
        db = self.recorded(sup, "db.json")
        self.assertEqual((db["env"]["STAGE"], db["env"]["SHARED"], db["env"]["GREETING"]),
                         ("test", "from supervisord", None))
        # Lower priority first: api and jobs start once db is ready (running 1 s) ...
        jobs = self.recorded(sup, "jobs.json")
        for later in (api, jobs):
            self.assertGreaterEqual(later["started"] - db["started"], 900_000_000)
        sup.wait_state("jobs", "ready", timeout=15)
        self.stop(sup)
        # ... and stop before it.
        stopped = {n: int((self.work / "out" / f"{n}.json.stopped").read_text()) for n in ("db", "api", "jobs")}
        self.assertLess(stopped["api"], stopped["db"])
        self.assertLess(stopped["jobs"], stopped["db"])


@unittest.skipUnless(os.geteuid() == 0, "needs root: the example runs its program as nobody")
class DocumentationExamplesTest(ImportTest):
    """The examples of supervisord's documentation (docs/configuration.rst), with real programs and
    paths in place of /path/to/programname, /a/path and the user chrism."""

    def test_program_example_with_every_key_and_the_server_sections(self):
        conf = self.work / "supervisord.conf"
        conf.write_text(f"""[unix_http_server]
file = %(here)s/supervisor.sock
chmod = 0777
chown= nobody:nogroup
username = user
password = 123

[inet_http_server]
port = 127.0.0.1:{free_port()}
username = user
password = 123

[supervisord]
logfile = %(here)s/supervisord.log
logfile_maxbytes = 50MB
logfile_backups=10
loglevel = info
pidfile = %(here)s/supervisord.pid
nodaemon = false
minfds = 1024
minprocs = 200
umask = 022
user = root
identifier = supervisor
directory = /tmp
nocleanup = true
childlogdir = /tmp
strip_ansi = false
environment = KEY1="value1",KEY2="value2"

[supervisorctl]
serverurl = unix://%(here)s/supervisor.sock
username = chris
password = 123
prompt = mysupervisor

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:cat]
command=/bin/cat
process_name=%(program_name)s
numprocs=1
directory=/tmp
umask=022
priority=999
autostart=true
autorestart=unexpected
startsecs=10
startretries=3
exitcodes=0
stopsignal=TERM
stopwaitsecs=10
stopasgroup=false
killasgroup=false
user=nobody
redirect_stderr=false
stdout_logfile=%(here)s/cat.out
stdout_logfile_maxbytes=1MB
stdout_logfile_backups=10
stdout_capture_maxbytes=1MB
stdout_events_enabled=false
stderr_logfile=%(here)s/cat.err
stderr_logfile_maxbytes=1MB
stderr_logfile_backups=10
stderr_capture_maxbytes=1MB
stderr_events_enabled=false
environment=A="1",B="2"
serverurl=AUTO

[fcgi-program:fcgiprogramname]
command=/usr/bin/example.fcgi
socket=unix:///var/run/supervisor/%(program_name)s.sock
process_name=%(program_name)s_%(process_num)02d
numprocs=5

[eventlistener:theeventlistenername]
command=/bin/eventlistener
process_name=%(program_name)s_%(process_num)02d
numprocs=5
events=PROCESS_STATE
""")
        converted, summary = self.convert(conf)
        parsed = tomllib.loads(converted)
        self.assertEqual([t["name"] for t in parsed["task"]], ["cat"])
        cat = parsed["task"][0]
        self.assertEqual((cat["command"], cat["workdir"], cat["user"], cat["restart"]),
                         (["/bin/cat"], "/tmp", "nobody", "on-failure"))
        self.assertEqual(cat["env"], {"KEY1": "value1", "KEY2": "value2", "A": "1", "B": "2"})
        self.assertEqual(cat["start_limit"]["burst"], 4)
        self.assertEqual(parsed["supervisor"]["log_level"], "info")
        for key in ("umask", "stdout_logfile", "stdout_capture_maxbytes", "process_name", "serverurl"):
            self.assertIn(f"# {key} = ", converted)
        self.assertIn("# [http]\n# listen = \"127.0.0.1:", converted)
        for section in ("[fcgi-program:fcgiprogramname] (not converted)", "[unix_http_server]",
                        "[inet_http_server]"):
            self.assertIn(section, summary)
        # cat reads its stdin, which taskmux gives it empty: it ran, as nobody, and exited 0,
        # which restart = "on-failure" leaves be.
        sup = self.run_converted(converted)
        rows = sup.wait_state("cat", "exited", timeout=15)
        self.assertEqual(rows[0]["last_exit"]["code"], 0)
        self.assertIn("cat[0] exited", sup.stderr())
        self.stop(sup)

    def test_include_example(self):
        absolute = self.work / "an" / "absolute"
        absolute.mkdir(parents=True)
        program = "[program:{0}]\ncommand = /bin/sleep 600\n"
        for name in ("filename", "one", "two"):
            (absolute / f"{name}.conf").write_text(program.format(name))
        (self.work / "foo.conf").write_text(program.format("foo"))
        (self.work / "config01.conf").write_text(program.format("config01"))
        (self.work / "config1.conf").write_text(program.format("config1"))  # not matched by ??
        conf = self.work / "supervisord.conf"
        conf.write_text(f"""[supervisord]
nodaemon = true

[include]
files = {absolute}/filename.conf {absolute}/*.conf foo.conf config??.conf
""")
        converted, _ = self.convert(conf)
        names = [t["name"] for t in tomllib.loads(converted)["task"]]
        self.assertEqual(names, ["filename", "one", "two", "foo", "config01"])
        sup = self.run_converted(converted)
        for name in names:
            sup.wait_state(name, "ready", timeout=15)
        self.stop(sup)

    def test_numprocs_and_process_name_example(self):
        conf = self.work / "supervisord.conf"
        conf.write_text(f"""[supervisord]
nodaemon = true

[program:foo]
command = {PYTHON3} %(here)s/recorder.py %(here)s/out/%(program_name)s_%(process_num)02d.json "" --port=80%(process_num)02d
process_name = %(program_name)s_%(process_num)02d
numprocs = 3

[group:foo_group]
programs = foo
priority = 999
""")
        converted, _ = self.convert(conf)
        sup = self.run_converted(converted)
        for n in range(3):
            self.assertEqual(self.recorded(sup, f"foo_{n:02d}.json")["argv"][3:], [f"--port=80{n:02d}"])
        self.stop(sup)


class InvalidInputTest(ImportTest):
    """What cannot be read is exit 2 with FILE:LINE on stderr, and nothing on stdout."""

    def import_fails(self, conf):
        r = subprocess.run([TASKMUX, "import", str(conf)], capture_output=True, text=True, timeout=30)
        self.assertEqual((r.returncode, r.stdout), (2, ""), r.stderr)
        return r.stderr

    def test_a_missing_file(self):
        conf = self.work / "missing.conf"
        self.assertEqual(self.import_fails(conf), f"{conf}: unable to read: No such file or directory\n")

    def test_a_line_that_is_no_key_and_no_section(self):
        conf = self.work / "supervisord.conf"
        conf.write_text("[supervisord]\nnodaemon = true\nthis is not ini\n")
        self.assertTrue(self.import_fails(conf).startswith(f"{conf}:3: "))

    def test_a_value_supervisord_refuses_in_an_included_file(self):
        (self.work / "conf.d").mkdir()
        (self.work / "conf.d" / "web.conf").write_text("[program:web]\ncommand = /bin/app\nautostart = maybe\n")
        conf = self.work / "supervisord.conf"
        conf.write_text("[supervisord]\n[include]\nfiles = conf.d/*.conf\n")
        self.assertEqual(self.import_fails(conf),
                         f"{self.work}/conf.d/web.conf:3: [program:web] autostart: not a valid boolean value: \"maybe\"\n")

    def test_no_file_given(self):
        r = subprocess.run([TASKMUX, "import"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)


@unittest.skipUnless(ServerOptions, "Debian's supervisor package is not installed")
class SupervisordAgreesTest(ImportTest):
    """The same files read by supervisord's own parser: every process taskmux runs has the
    argv, the environment and the directory supervisord would have given it."""

    def assert_same_processes(self, conf, sup, programs, env=None):
        old = dict(os.environ)
        os.environ.update(env or {})  # supervisord takes its ENV_X names when it starts
        try:
            options = ServerOptions()
            options.configfile = str(conf)
            options.here = str(conf.parent)
            section = options.read_config(str(conf))
        finally:
            os.environ.clear()
            os.environ.update(old)
        expected = {}
        for group in section.process_group_configs:
            for p in group.process_configs:
                expected.setdefault(p.name, p)
        for program, process_names in programs.items():
            rows = sorted(sup.wait_state(program, "ready", timeout=15), key=lambda r: r["instance"])
            self.assertEqual(len(rows), len(process_names))
            for row, name in zip(rows, process_names):
                p = expected[name]
                pid = row["pid"]
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = [a.decode() for a in f.read().split(b"\0")[:-1]]
                with open(f"/proc/{pid}/environ", "rb") as f:
                    environ = dict(e.decode().split("=", 1) for e in f.read().split(b"\0") if b"=" in e)
                self.assertEqual(argv, shlex.split(p.command), name)
                for key, value in p.environment.items():
                    self.assertEqual(environ.get(key), value, f"{name}: {key}")
                if p.directory:
                    self.assertEqual(os.readlink(f"/proc/{pid}/cwd"), p.directory, name)

    def test_numprocs_files_read_by_supervisord(self):
        conf = NumprocsTest.write_conf(self)
        converted, _ = self.convert(conf)
        sup = self.run_converted(converted)
        self.assert_same_processes(conf, sup, {"worker": ["worker_00", "worker_01", "worker_02"],
                                               "shifted": ["shifted_5", "shifted_6"]})
        self.stop(sup)

    def test_environment_files_read_by_supervisord(self):
        conf = EnvironmentIncludePriorityTest.write_conf(self)
        home = {"HOME": str(self.work / "home")}
        converted, _ = self.convert(conf, env=home)
        sup = self.run_converted(converted, env=home)
        self.assert_same_processes(conf, sup, {"db": ["db"], "api": ["api"], "jobs": ["jobs"]}, env=home)
        self.stop(sup)


if __name__ == "__main__":
    unittest.main()
