"""Help at the config for users coming from supervisord, systemd and docker-compose (SPEC
"config.toml", "Environment of a task", "Task lifecycle" on ready): `taskmux check` names the
key a misspelt one means, warns about a program that is not there, says why a ${VAR} set
only in a task's env is unset; a `user` task gets that user's HOME, USER and LOGNAME; a tcp
ready check that another process's port passes does not make an exited task ready."""
import os
import pwd
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from harness import TASKMUX, TaskmuxTest, probe, proc_state, read_queues


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("TASKMUX_CONFIG", "TASKMUX_SOCKET")}
    env.update(extra)
    return env


class CheckHintsTest(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="taskmux-hints-"))
        self.addCleanup(shutil.rmtree, self.dir, True)

    def check(self, body, **env):
        config = self.dir / "config.toml"
        config.write_text(body)
        r = subprocess.run([TASKMUX, "check", "-c", str(config)], capture_output=True, text=True,
                           env=clean_env(**env), timeout=30)
        return r, str(config)

    def test_a_program_that_is_not_there_is_a_warning_at_its_command_and_check_passes(self):
        (self.dir / "bin").mkdir()
        tool = self.dir / "bin" / "tool"
        tool.write_text("#!/bin/sh\n")
        tool.chmod(0o755)
        r, config = self.check(
            '[[task]]\nname = "web"\ncommand = ["pyhton3", "app.py"]\n'           # 3
            '[[task]]\nname = "ok"\ncommand = ["python3", "-V"]\n'               # 6
            '[[task]]\nname = "sh"\ncommand = "  gunicron --bind :80 && true"\n'  # 9
            '[[task]]\nname = "rel"\ncommand = ["bin/tool"]\nworkdir = "bin"\n'   # 12
            '[[task]]\nname = "own"\ncommand = ["tool"]\nenv = { PATH = "/usr/bin" }\n'  # 16
            '[[task]]\nname = "found"\ncommand = ["tool"]\n'
            f'env = {{ PATH = "/nowhere:{self.dir}/bin" }}\n'
            '[[task]]\nname = "builtin"\ncommand = "exec pyhton3 app.py"\n',
            PATH="/usr/local/bin:/usr/bin:/bin")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, f"{config}: OK (7 tasks, 7 instances)\n")
        self.assertEqual(r.stderr.splitlines(), [
            f'{config}:3:12: warning: task "web": no executable program "pyhton3" in PATH '
            "/usr/local/bin:/usr/bin:/bin (taskmux's own)",
            f'{config}:9:11: warning: task "sh": no executable program "gunicron" in PATH '
            "/usr/local/bin:/usr/bin:/bin (taskmux's own)",
            f'{config}:12:12: warning: task "rel": no executable program "bin/tool": looked for '
            f"{self.dir}/bin/bin/tool (relative to its workdir)",
            f'{config}:16:12: warning: task "own": no executable program "tool" in PATH /usr/bin '
            "(set in the task's env)",
        ])

    def test_supervisord_and_systemd_names_are_errors_naming_the_key_meant(self):
        r, config = self.check(
            '[supervisor]\nloglevel = "info"\n'
            '[[task]]\nname = "web"\ncommand = ["sleep", "1"]\n'
            'autorestart = true\nstopwaitsecs = 10\ndirectory = "/srv"\nenvironment = { A = "1" }\n'
            'numprocs = 2\nstopasgroup = true\nKillMode = "mixed"\nWorkingDirectory = "/srv"\n'
            'depends-on = []\nhealth = { http = "http://127.0.0.1/", retries = 3 }\nbogus = 1\n')
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.splitlines()[:-1], [
            f"{config}:2:1: unknown key 'loglevel' (did you mean 'log_level'?)",
            f"{config}:6:1: unknown key 'autorestart' (did you mean 'restart'?)",
            f"{config}:7:1: unknown key 'stopwaitsecs' (did you mean 'stop_timeout'?)",
            f"{config}:8:1: unknown key 'directory' (did you mean 'workdir'?)",
            f"{config}:9:1: unknown key 'environment' (did you mean 'env'?)",
            f"{config}:10:1: unknown key 'numprocs' (did you mean 'instances'?)",
            f"{config}:11:1: unknown key 'stopasgroup' (did you mean 'kill_mode'?)",
            f"{config}:12:1: unknown key 'KillMode' (did you mean 'kill_mode'?)",
            f"{config}:13:1: unknown key 'WorkingDirectory' (did you mean 'workdir'?)",
            f"{config}:14:1: unknown key 'depends-on' (did you mean 'depends_on'?)",
            f"{config}:15:40: unknown key 'retries' (did you mean 'failures'?)",
            f"{config}:16:1: unknown key 'bogus'",
        ])

    def test_a_variable_set_only_in_the_task_env_is_an_error_that_says_env_does_not_expand(self):
        r, config = self.check(
            '[[task]]\nname = "web"\ncommand = "serve --port ${PORT}"\nenv = { PORT = "9000" }\n'
            '[[task]]\nname = "api"\ncommand = ["serve", "--port", "${PORT}"]\nenv = { PORT = "9001" }\n')
        self.assertEqual(r.returncode, 2)
        lines = r.stderr.splitlines()
        why = "PORT is set in this task's env, but env does not expand the config (taskmux's own environment does)"
        self.assertEqual(lines[0], f"{config}:3:25: command: environment variable PORT is not set (use "
                                   f"${{PORT:-default}} for a default); {why}: write $${{PORT}} to leave it to "
                                   "the task's shell, or write the value itself")
        self.assertEqual(lines[1], f"{config}:7:32: command element: environment variable PORT is not set (use "
                                   f"${{PORT:-default}} for a default); {why}: write the value itself, or make "
                                   "command a string (run by /bin/sh -c) with $${PORT} for the shell to expand")

    def test_the_hinted_fix_works_the_task_shell_expands_it(self):
        r, config = self.check('[[task]]\nname = "web"\ncommand = "echo port $${PORT}"\nenv = { PORT = "9000" }\n')
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_a_default_taken_while_the_task_env_sets_the_variable_is_a_warning(self):
        r, config = self.check('[[task]]\nname = "web"\ncommand = "echo ${PORT:-8000}"\nenv = { PORT = "9000" }\n')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, re.escape(f"{config}:3:17: warning: command: ${{PORT:-...}} takes its default"))


class RunHintsTest(TaskmuxTest):
    def test_run_says_the_warning_at_start_and_starts_the_task_anyway(self):
        sup = self.start('[[task]]\nname = "typo"\ncommand = ["pyhton3", "-V"]\nrestart = "never"\n'
                         '[[task]]\nname = "fine"\ncommand = ["sleep", "60"]\n')
        sup.wait_stderr('warning: task "typo": no executable program "pyhton3" in PATH')
        sup.wait_state("typo", "exited")
        sup.wait_state("fine", ("running", "ready"))
        line = next(l for l in sup.stderr().splitlines() if "pyhton3" in l)
        self.assertRegex(line, r"^taskmux \| .*config\.toml:\d+:12: warning: task \"typo\"")
        faults = sup.wait_for(lambda: read_queues(sup.dir / "state", "_fault_typo"),
                              what="the failed spawn's fault report, as today")
        self.assertIn("unable to execute pyhton3", faults[0][2]["message"])

    def test_reload_says_the_warning_of_the_new_file_and_applies_it(self):
        sup = self.start('[[task]]\nname = "fine"\ncommand = ["sleep", "60"]\n')
        sup.wait_state("fine", ("running", "ready"))
        self.assertNotIn("warning:", sup.stderr())
        head = sup.config.read_text().split("[[task]]")[0]
        sup.config.write_text(head + '[[task]]\nname = "fine"\ncommand = ["sleep", "60"]\n'
                              '[[task]]\nname = "typo"\ncommand = ["pyhton3"]\nrestart = "never"\n')
        r = subprocess.run([TASKMUX, "reload", "--socket", str(sup.socket)], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "added: typo\n")
        sup.wait_stderr('warning: task "typo": no executable program "pyhton3" in PATH')
        sup.wait_state("typo", "exited")

    @unittest.skipUnless(os.geteuid() == 0, "dropping privileges needs root")
    def test_a_user_task_gets_the_users_home_user_and_logname_and_its_env_wins(self):
        for name in ("nobody", "www-data"):
            with self.subTest(user=name):
                pw = pwd.getpwnam(name)
                sup = self.start(
                    f'[[task]]\nname = "who"\ncommand = ["env"]\nuser = "{name}"\nrestart = "never"\n'
                    f'[[task]]\nname = "own"\ncommand = ["env"]\nuser = "{name}"\nrestart = "never"\n'
                    'env = { HOME = "/srv/data" }\n',
                    env={"HOME": "/root", "USER": "root", "LOGNAME": "root"})
                sup.wait_state("who", "exited")
                sup.wait_state("own", "exited")
                sup.wait_stdout("own[0] | PATH=")
                out = sup.stdout().splitlines()
                self.assertIn(f"who[0] | HOME={pw.pw_dir}", out)
                self.assertIn(f"who[0] | USER={name}", out)
                self.assertIn(f"who[0] | LOGNAME={name}", out)
                self.assertIn("own[0] | HOME=/srv/data", out)
                self.assertIn(f"own[0] | USER={name}", out)
                self.assertNotIn("who[0] | HOME=/root", out)


class ReadyPortOfAnotherTest(TaskmuxTest):
    def test_a_tcp_check_that_another_process_passes_after_the_task_exited_is_not_ready(self):
        # The window between a task's exit and taskmux handling it, made wide and ordered: the
        # check's connection to someone else's port completes while taskmux is stopped, then
        # the task dies; taskmux resumes with both pending, the connection first.
        owner = socket.socket()
        self.addCleanup(owner.close)
        owner.bind(("127.0.0.1", 0))
        owner.listen(0)
        port = owner.getsockname()[1]
        # One unaccepted connection fills a backlog of 0: the check's SYN is dropped, and sent
        # again by the kernel a second later.
        filler = socket.create_connection(("127.0.0.1", port))
        self.addCleanup(filler.close)
        sup = self.start(f'[[task]]\nname = "gone"\ncommand = {probe("sleep", 3600)}\n'
                         f'ready = {{ tcp = "127.0.0.1:{port}" }}\nrestart = "on-failure"\n'
                         'backoff = { initial = "30s", max = "30s" }\n')
        pid = sup.wait_state("gone", "running")[0]["pid"]
        sup.signal(signal.SIGSTOP)
        self.addCleanup(sup.signal, signal.SIGCONT)
        accepted, _ = owner.accept()  # room for the check's connection
        self.addCleanup(accepted.close)
        readable, _, _ = select.select([owner], [], [], 5)
        self.assertTrue(readable, "the check's connection reached the port's owner")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while proc_state(pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(proc_state(pid), "Z", "the task has exited, taskmux has not handled it")
        sup.signal(signal.SIGCONT)
        sup.wait_state("gone", "backoff")
        faults = sup.wait_for(lambda: [b for _, _, b in read_queues(sup.dir / "state", "_fault_gone")],
                              what="the exit's fault report")
        self.assertEqual([(b["event"], b["signal"]) for b in faults], [("exited", 9)])
        # Written before the fault, in seq order: a ready report would be there by now.
        events = [b["event"] for _, _, b in read_queues(sup.dir / "state", "_status_gone")]
        self.assertEqual(events, ["started", "backoff"])

    def test_a_task_that_exits_at_once_beside_another_process_port_goes_to_backoff_and_fatal(self):
        owner = socket.socket()
        self.addCleanup(owner.close)
        owner.bind(("127.0.0.1", 0))
        owner.listen(128)
        port = owner.getsockname()[1]
        sup = self.start(
            f'[[task]]\nname = "gone"\ncommand = {probe("exit", 1)}\ninstances = 4\n'
            f'ready = {{ tcp = "127.0.0.1:{port}" }}\nrestart = "on-failure"\n'
            'backoff = { initial = "10ms", max = "20ms" }\nstart_limit = { burst = 4, interval = "60s" }\n')
        sup.wait_state("gone", "fatal", count=4, timeout=30)
        # The store commits on its own thread: the last reports may land a moment after the state.
        def exits():
            found = [b for _, _, b in read_queues(sup.dir / "state", "_fault_gone") if b["event"] == "exited"]
            return found if len(found) >= 4 * 4 else None
        found = sup.wait_for(exits, what="16 exit reports on _fault_gone")
        self.assertEqual(len(found), 4 * 4)
        self.assertTrue(all(b["exit_code"] == 1 for b in found))


if __name__ == "__main__":
    unittest.main()
