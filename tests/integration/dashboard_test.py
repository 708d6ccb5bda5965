"""The dashboard in a real browser: Debian's headless Chromium, driven through its DevTools
protocol, loads `/` of the demo config (with a task that crashes on purpose) and must see every
task, see the crashing task's restart count rise without a page reload, and open a log tail.
A screenshot is saved beside the taskmux binary (the build tree)."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import browser
from harness import REPO, TASKMUX, free_port

CRASHY = ('\n[[task]]\nname = "crashy"\ncommand = ["sh", "-c", "echo about to fail; sleep 0.3; exit 1"]\n'
          'restart = "always"\nbackoff = { initial = "200ms", max = "200ms" }\nstart_limit = { burst = 0 }\n')


@unittest.skipIf(browser.unavailable(), browser.unavailable() or "")
class DashboardTest(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="taskmux-dashboard-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        (self.dir / "tasks").symlink_to(REPO / "tasks")
        config = (REPO / "config.toml").read_text().replace('state_dir = ".taskmux"', 'state_dir = "state"')
        (self.dir / "config.toml").write_text(config + CRASHY)
        self.port = free_port()
        env = dict(os.environ, HTTP_LISTEN=f"127.0.0.1:{self.port}", PORT=str(free_port()))
        env.pop("TASKMUX_TOKEN", None)
        self.proc = subprocess.Popen([TASKMUX, "run", "-c", str(self.dir / "config.toml")], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(self.stop)
        self.browser = browser.Browser()
        self.addCleanup(self.browser.close)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()

    def restarts_of(self, task):
        return self.browser.eval(
            f"(() => {{ const r = document.querySelector('tr[data-task=\"{task}\"] td.restarts');"
            " return r ? Number(r.textContent) : -1; })()")

    def test_every_task_live_restarts_and_a_log_tail(self):
        b = self.browser
        end = time.monotonic() + 30
        while True:  # until taskmux listens
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > end or self.proc.poll() is not None:
                    self.fail(f"taskmux did not serve HTTP: {self.proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.1)
        b.navigate(f"http://127.0.0.1:{self.port}/")
        b.eval("window.__same_page = 'yes'")
        want = ["web[0]", "web[1]", "web[2]", "worker[0]", "worker[1]", "report[0]", "crashy[0]"]
        rows = b.wait_for("(() => { const n = [...document.querySelectorAll('#instances tbody tr td:first-child')]"
                          ".map(td => td.textContent); return n.length >= 7 && n; })()", timeout=20)
        self.assertEqual(sorted(rows), sorted(want))
        b.wait_for("document.querySelector('#conn').textContent.startsWith('live')")
        # The web instances become ready (READY=1), shown in green.
        b.wait_for("document.querySelectorAll('tr[data-task=\"web\"] .s-ready').length === 3", timeout=30)
        first = self.restarts_of("crashy")
        b.wait_for(f"Number(document.querySelector('tr[data-task=\"crashy\"] td.restarts').textContent) > {first}",
                   timeout=15)
        self.assertEqual(b.eval("window.__same_page"), "yes", "updated without a page reload")
        # The crash reports reach the faults list with the task's stderr tail.
        b.wait_for("document.querySelectorAll('#faults .fault').length > 0", timeout=15)
        # A click opens the task's last lines.
        b.eval("document.querySelector('tr[data-task=\"crashy\"]').click()")
        tail = b.wait_for("(() => { const t = document.querySelector('#logs-text').textContent;"
                          " return t.includes('crashy[0] | about to fail') && t; })()")
        self.assertIn("crashy[0] | about to fail", tail)
        shot = Path(TASKMUX).resolve().parent / "dashboard.png"
        b.screenshot(shot)
        self.assertGreater(shot.stat().st_size, 10_000)


if __name__ == "__main__":
    unittest.main()
