"""config.toml and `taskmux check` with the real binary (SPEC "config.toml", "Command line").

Every tests/fixtures/config/*.toml is checked. A broken fixture starts with one line
`# expect: LINE:COL: message-substring` per problem; `check` must exit 2 and print exactly those
problems as `FILE:LINE:COL: ...`. A valid fixture (valid_*.toml) starts with `# ok: (N tasks, M
instances)`; `check` must exit 0 and print `FILE: OK (N tasks, M instances)`."""
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import uuid
from pathlib import Path

import harness

REPO = Path(__file__).resolve().parents[2]
TASKMUX = os.environ.get("TASKMUX_BIN", str(REPO / "build" / "taskmux"))
FIXTURES = REPO / "tests" / "fixtures" / "config"
EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")
# Scale tests time files of 40,000-100,000 tasks: under AddressSanitizer (CI sets ASAN_OPTIONS)
# the times say nothing about taskmux and take minutes; the rules they check run in the normal build.
SCALE = unittest.skipIf("ASAN_OPTIONS" in os.environ, "a timing of 100,000 tasks means nothing under ASan")
OK = re.compile(r"^# ok: (\(.+\))$")
MIN_BROKEN_FIXTURES = 24


def clean_env(**extra):
    """The test's environment without anything that would change what a fixture means: no
    TASKMUX_CONFIG/TASKMUX_SOCKET, no TASKMUX_TEST_* (the fixtures' ${VAR}s are unset)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TASKMUX_TEST_") and k not in ("TASKMUX_CONFIG", "TASKMUX_SOCKET")}
    # valid_full.toml drops privileges to this user, which needs no root when it is us.
    env["TASKMUX_TEST_USER"] = pwd.getpwuid(os.geteuid()).pw_name
    env.update(extra)
    return env


def taskmux(*args, cwd=None, env=None, timeout=30):
    return subprocess.run([TASKMUX, *args], capture_output=True, text=True, cwd=cwd,
                          env=env if env is not None else clean_env(), timeout=timeout)


def diagnostic_lines(stderr, shown):
    """The FILE:LINE:COL lines of `check`'s stderr, for the file as it was named."""
    prefix = re.compile(re.escape(shown) + r":\d+:\d+: ")
    return [line for line in stderr.splitlines() if prefix.match(line)]


def expectations(fixture):
    lines = fixture.read_text().splitlines()
    return [EXPECT.match(l) for l in lines if EXPECT.match(l)], [OK.match(l) for l in lines if OK.match(l)]


def broken_fixtures():
    return sorted(p for p in FIXTURES.glob("*.toml") if not p.name.startswith("valid_"))


def valid_fixtures():
    return sorted(FIXTURES.glob("valid_*.toml"))


def processes_with_env(needle):
    """Pids whose initial environment holds `needle` (e.g. "TEST_MARK=abc")."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle.encode() in f.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            pass
    return found


def wait_for(predicate, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class FixtureTest(unittest.TestCase):
    """One test per fixture file, named after it (added below the class)."""

    def check_broken(self, fixture):
        expects, _ = expectations(fixture)
        self.assertTrue(expects, f"{fixture.name} has no '# expect: LINE:COL: message' line")
        shown = str(fixture)
        r = taskmux("check", "-c", shown)
        self.assertEqual(r.returncode, 2, f"exit code of check on {fixture.name}\n{r.stderr}")
        self.assertEqual(r.stdout, "", "a broken config prints nothing on stdout")
        got = diagnostic_lines(r.stderr, shown)
        for m in expects:
            line, col, message = m.group(1), m.group(2), m.group(3)
            at = f"{shown}:{line}:{col}: "
            self.assertTrue(any(g.startswith(at) and message in g for g in got),
                            f"expected {line}:{col}: ...{message}...\ngot:\n" + "\n".join(got))
        self.assertEqual(len(got), len(expects), "one diagnostic per expected problem, got:\n" + "\n".join(got))
        places = [tuple(int(x) for x in g[len(shown) + 1:].split(":")[:2]) for g in got]
        self.assertEqual(places, sorted(places), "diagnostics in file order:\n" + "\n".join(got))
        n = len(expects)
        self.assertIn(f"{shown}: {n} {'problem' if n == 1 else 'problems'}; nothing was started", r.stderr)

    def check_valid(self, fixture):
        _, oks = expectations(fixture)
        self.assertEqual(len(oks), 1, f"{fixture.name} needs one '# ok: (N tasks, M instances)' line")
        shown = str(fixture)
        r = taskmux("check", "-c", shown)
        self.assertEqual(r.stderr, "", "a valid config prints no problem")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout, f"{shown}: OK {oks[0].group(1)}\n")

    def test_there_is_a_broken_fixture_for_each_of_at_least_24_kinds_of_problem(self):
        self.assertGreaterEqual(len(broken_fixtures()), MIN_BROKEN_FIXTURES)
        self.assertGreaterEqual(len(valid_fixtures()), 3)

    def test_several_problems_in_one_file_are_all_reported_in_one_run(self):
        expects, _ = expectations(FIXTURES / "several_problems.toml")
        self.assertGreaterEqual(len(expects), 3)
        self.check_broken(FIXTURES / "several_problems.toml")


def _add_fixture_tests():
    for fixture in broken_fixtures():
        name = f"test_{fixture.stem}_is_reported_where_it_is_written"
        setattr(FixtureTest, name, lambda self, f=fixture: self.check_broken(f))
    for fixture in valid_fixtures():
        setattr(FixtureTest, f"test_{fixture.stem}_passes_the_check",
                lambda self, f=fixture: self.check_valid(f))


_add_fixture_tests()


class ConfigFileTest(unittest.TestCase):
    """Where the config comes from (-c, $TASKMUX_CONFIG, ./config.toml) and what a bad one does."""

    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="taskmux-config-test-"))
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def write(self, name, body):
        path = self.dir / name
        path.write_text(body)
        return path

    def marker_config(self, broken_key):
        """A config whose one valid task creates a marker file as soon as it runs."""
        self.marker = self.dir / "task-ran"
        self.mark = "TASKMUX_CONFIG_TEST_MARK=" + uuid.uuid4().hex
        body = (f'[supervisor]\nname = "config-test"\nstate_dir = "state"\nshutdown_timeout = "5s"\n'
                f'{broken_key}\n\n'
                f'[[task]]\nname = "marker"\ncommand = ["sh", "-c", "touch {self.marker}; exec sleep 30"]\n'
                f'env = {{ {self.mark.split("=")[0]} = "{self.mark.split("=")[1]}" }}\n')
        return self.write("config.toml", body)

    def test_a_broken_config_given_to_run_exits_2_and_starts_nothing(self):
        config = self.marker_config('bogus_key = "x"')
        r = taskmux("run", "-c", str(config))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(f"{config}:5:1: unknown key 'bogus_key'", r.stderr)
        self.assertIn("nothing was started", r.stderr)
        self.assertFalse(self.marker.exists(), "the task of a broken config ran")
        self.assertEqual(processes_with_env(self.mark), [], "a process of the broken config is alive")
        self.assertFalse((self.dir / "state" / "control.sock").exists())

    def test_the_same_config_without_the_broken_key_does_run_the_task(self):
        # Shows that the marker of the test above would appear if the task ever ran.
        config = self.marker_config("")
        proc = subprocess.Popen([TASKMUX, "run", "-c", str(config)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=clean_env())

        def stop():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            for pid in processes_with_env(self.mark):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.stderr.close()

        self.addCleanup(stop)
        wait_for(lambda: self.marker.exists() or proc.poll() is not None, "the task's marker file")
        self.assertTrue(self.marker.exists(), f"taskmux exited {proc.returncode} before the task ran")
        stop()
        self.assertEqual(proc.returncode, 0)

    def test_the_config_option_is_accepted_after_the_command_word(self):
        config = self.write("a.toml", '[[task]]\nname = "web"\ncommand = "sleep 60"\n')
        r = taskmux("check", "-c", str(config))
        self.assertEqual((r.returncode, r.stdout), (0, f"{config}: OK (1 tasks, 1 instances)\n"), r.stderr)

    def test_the_config_option_is_accepted_before_the_command_word(self):
        config = self.write("a.toml", '[[task]]\nname = "web"\ncommand = "sleep 60"\n')
        r = taskmux("-c", str(config), "check")
        self.assertEqual((r.returncode, r.stdout), (0, f"{config}: OK (1 tasks, 1 instances)\n"), r.stderr)

    def test_the_long_config_option_is_accepted_too(self):
        config = self.write("a.toml", '[[task]]\nname = "web"\ncommand = "sleep 60"\n')
        r = taskmux("check", "--config", str(config))
        self.assertEqual((r.returncode, r.stdout), (0, f"{config}: OK (1 tasks, 1 instances)\n"), r.stderr)

    def test_a_broken_config_is_reported_the_same_with_the_option_before_the_command_word(self):
        config = self.write("a.toml", '[[task]]\nname = "web"\ncommand = "sleep 60"\ninstances = 0\n')
        r = taskmux("-c", str(config), "check")
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{config}:4:13: instances must be between 1 and 10000, not 0", r.stderr)

    def test_taskmux_config_is_used_when_no_option_is_given(self):
        config = self.write("from-env.toml", '[[task]]\nname = "web"\ncommand = "sleep 60"\ninstances = 3\n')
        r = taskmux("check", cwd=self.dir, env=clean_env(TASKMUX_CONFIG=str(config)))
        self.assertEqual((r.returncode, r.stdout), (0, f"{config}: OK (1 tasks, 3 instances)\n"), r.stderr)

    def test_the_option_wins_over_taskmux_config(self):
        broken = self.write("broken.toml", "[[task]]\nname = 1\n")
        config = self.write("a.toml", '[[task]]\nname = "web"\ncommand = "sleep 60"\n')
        r = taskmux("check", "-c", str(config), env=clean_env(TASKMUX_CONFIG=str(broken)))
        self.assertEqual((r.returncode, r.stdout), (0, f"{config}: OK (1 tasks, 1 instances)\n"), r.stderr)

    def test_without_option_or_taskmux_config_the_config_toml_of_the_working_directory_is_used(self):
        self.write("config.toml", '[[task]]\nname = "a"\ncommand = "sleep 60"\n'
                                  '[[task]]\nname = "b"\ncommand = "sleep 60"\n')
        r = taskmux("check", cwd=self.dir)
        self.assertEqual((r.returncode, r.stdout), (0, "config.toml: OK (2 tasks, 2 instances)\n"), r.stderr)

    def test_a_relative_config_path_is_shown_as_given(self):
        self.write("rel.toml", '[[task]]\nname = "web"\ncommand = "sleep 60"\nbogus = 1\n')
        r = taskmux("check", "-c", "rel.toml", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertIn("rel.toml:4:1: unknown key 'bogus'", r.stderr.splitlines())

    def test_a_missing_config_file_is_a_clear_error_with_exit_2(self):
        missing = self.dir / "no-such-dir" / "config.toml"
        for command in ("check", "run"):
            with self.subTest(command=command):
                r = taskmux(command, "-c", str(missing))
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stdout, "")
                self.assertIn(f"{missing}: unable to read config file: No such file or directory", r.stderr)

    def test_a_missing_default_config_toml_is_a_clear_error_with_exit_2(self):
        r = taskmux("check", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertIn("config.toml: unable to read config file: No such file or directory", r.stderr)

    def test_regression_a_directory_given_as_the_config_file_is_an_error_not_an_empty_config(self):
        r = taskmux("check", "-c", str(self.dir))
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertEqual(r.stdout, "")
        self.assertIn(f"{self.dir}: unable to read config file: Is a directory", r.stderr)

    def test_a_variable_set_in_the_environment_is_expanded_and_the_check_passes(self):
        config = self.write("a.toml", '[[task]]\nname = "web"\ncommand = "sleep 60"\n'
                                      'instances = 1\nstop_timeout = "${TASKMUX_TEST_STOP}"\n')
        r = taskmux("check", "-c", str(config), env=clean_env(TASKMUX_TEST_STOP="5s"))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = taskmux("check", "-c", str(config), env=clean_env(TASKMUX_TEST_STOP="5 seconds"))
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{config}:5:16: stop_timeout is not a valid duration", r.stderr)


class LongestDurationTest(harness.TaskmuxTest):
    """The longest durations a config may give (876000h) work at run time: before the limit,
    2562048h wrapped into a watchdog that fired after 2 ms and an `every` that ran thousands of
    times a second (duration_above_100_years.toml: now rejected by check)."""

    def test_a_100_year_watchdog_and_every_neither_fire_nor_repeat(self):
        stamps = Path(tempfile.mkdtemp(prefix="taskmux-longest-")) / "stamps"
        self.addCleanup(shutil.rmtree, stamps.parent, ignore_errors=True)
        sup = self.start(f'[[task]]\nname = "watched"\nwatchdog = "876000h"\ncommand = {harness.probe("sleep", 3600)}\n\n'
                         f'[[task]]\nname = "looped"\nevery = "876000h"\ncommand = {harness.probe("stamp", stamps, 0)}\n')
        sup.wait_state("watched", ("running", "ready"))
        sup.wait_state("looped", "waiting")
        time.sleep(1.5)  # a wrapped timer fires within milliseconds
        self.assertEqual([r["restarts"] for r in sup.rows("watched")], [0])
        self.assertEqual([r["state"] for r in sup.rows("watched")], ["ready"])
        self.assertNotIn("watchdog", sup.stderr())
        self.assertEqual(len(stamps.read_text().splitlines()), 1, "the looped task ran more than once")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(), 0)


def chain_config(n, *, cycle=False, reverse=False, mark=None):
    """n tasks in one depends_on chain: t0 -> t1 -> ... -> t(n-1), closed back to t0 with `cycle`
    (the depends_on of the last task closes it, on its last line); `reverse` writes t(n-1) first.
    Each task is `sleep 60`, with `mark` (NAME=VALUE) in its env when given."""
    env = f'env = {{ {mark.split("=")[0]} = "{mark.split("=")[1]}" }}\n' if mark else ""
    parts = []
    for i in (reversed(range(n)) if reverse else range(n)):
        dep = f"t{i + 1}" if i + 1 < n else ("t0" if cycle else None)
        parts.append(f'[[task]]\nname = "t{i}"\ncommand = ["sleep", "60"]\n{env}'
                     + (f'depends_on = ["{dep}"]\n' if dep else "") + "\n")
    return "".join(parts)


class LargeConfigTest(unittest.TestCase):
    """Configs far larger than any real one: checked in linear time, never a crash (the cycle check
    once recursed once per task and overflowed the stack about 31,000 tasks deep)."""

    # A 100k-task chain takes about 2 s here (RelWithDebInfo), 10 s under ASan; it took 34 s
    # (quadratic) or crashed before. The bound leaves room for a busy machine.
    BOUND_S = 30.0

    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="taskmux-large-config-test-"))
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def timed_check(self, body, name="config.toml", command="check"):
        config = self.dir / name
        config.write_text(body)
        started = time.monotonic()
        r = taskmux(command, "-c", str(config), timeout=120)
        return config, r, time.monotonic() - started

    @SCALE
    def test_a_100000_task_dependency_chain_passes_the_check_in_bounded_time(self):
        # Written first task first, the search goes 100,000 tasks deep.
        config, r, took = self.timed_check(chain_config(100_000))
        self.assertEqual(r.returncode, 0, f"exit code {r.returncode}; stderr: {r.stderr[-2000:]}")
        self.assertEqual(r.stdout, f"{config}: OK (100000 tasks, 100000 instances)\n")
        self.assertLess(took, self.BOUND_S, "check of a 100k-task chain took too long")

    @SCALE
    def test_checking_grows_linearly_with_the_number_of_tasks(self):
        # A quadratic step makes 8 times the tasks cost about 64 times as much (before: 92).
        _, small, small_s = self.timed_check(chain_config(12_500, reverse=True), "small.toml")
        _, large, large_s = self.timed_check(chain_config(100_000, reverse=True), "large.toml")
        self.assertEqual((small.returncode, large.returncode), (0, 0), small.stderr + large.stderr)
        self.assertLess(large_s, self.BOUND_S, "check of a 100k-task chain took too long")
        self.assertLess(large_s, 24 * max(small_s, 0.05), f"12.5k tasks: {small_s:.2f}s, 100k tasks: {large_s:.2f}s")

    @SCALE
    def test_100000_unset_variables_are_each_reported_where_they_are_written_in_bounded_time(self):
        # Each place was found by reading the file from its first line again (20,000: 16 s).
        body = "".join(f'[[task]]\nname = "t{i}"\ncommand = "run ${{TASKMUX_TEST_UNSET}}"\n\n'
                       for i in range(100_000))
        config, r, took = self.timed_check(body)
        self.assertEqual(r.returncode, 2, r.stderr[-2000:])
        got = diagnostic_lines(r.stderr, str(config))
        self.assertEqual(len(got), 100_000)
        self.assertTrue(got[-1].startswith(f"{config}:399999:16: command: environment variable TASKMUX_TEST_UNSET"),
                        got[-1])
        self.assertLess(took, self.BOUND_S)

    @SCALE
    def test_run_on_a_40000_task_dependency_cycle_exits_2_and_starts_nothing(self):
        mark = "TASKMUX_LARGE_CONFIG_TEST_MARK=" + uuid.uuid4().hex
        body = f'[supervisor]\nstate_dir = "state"\n\n' + chain_config(40_000, cycle=True, mark=mark)
        config, r, _ = self.timed_check(body, command="run")
        self.assertEqual(r.returncode, 2, f"exit code {r.returncode}; stderr: {r.stderr[-2000:]}")
        self.assertIn(": dependency cycle of 40000 tasks: ", r.stderr)
        self.assertIn(f"{config}: 1 problem; nothing was started", r.stderr)
        self.assertEqual(processes_with_env(mark), [], "a task of the broken config is alive")
        self.assertFalse((self.dir / "state" / "control.sock").exists())


if __name__ == "__main__":
    unittest.main()
