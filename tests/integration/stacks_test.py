"""Real programs from Debian under taskmux, run the way their users run them (SPEC "Task
lifecycle", "Logs"): nginx as www-data logging to /dev/stdout and /dev/stderr."""
import os
import pwd
import shutil
import tempfile
import unittest
import urllib.request

from harness import TaskmuxTest, argv, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def user_dir(user):
    """A temp dir the user owns (a test's own dir is root's, mode 0700)."""
    d = tempfile.mkdtemp(prefix="taskmux-stack-")
    pw = pwd.getpwnam(user)
    os.chown(d, pw.pw_uid, pw.pw_gid)
    os.chmod(d, 0o755)
    return d


@unittest.skipUnless(os.geteuid() == 0, "needs root: the task drops to www-data")
@unittest.skipUnless(os.path.exists(NGINX), "nginx is not installed (Debian package nginx-light)")
class NginxTest(TaskmuxTest):
    def test_nginx_as_www_data_logs_to_dev_stdout_and_dev_stderr(self):
        home = user_dir("www-data")
        self.addCleanup(shutil.rmtree, home, True)
        port = free_port()
        conf = os.path.join(home, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off;
pid {home}/nginx.pid;
error_log /dev/stderr info;
events {{ worker_connections 64; }}
http {{
  access_log /dev/stdout;
  client_body_temp_path {home}/body; proxy_temp_path {home}/proxy; fastcgi_temp_path {home}/fastcgi;
  uwsgi_temp_path {home}/uwsgi; scgi_temp_path {home}/scgi;
  server {{ listen 127.0.0.1:{port}; location / {{ return 200 "hello from nginx\\n"; }} }}
}}
""")
        sup = self.start(f'[[task]]\nname = "nginx"\nuser = "www-data"\n'
                         f'command = {argv(NGINX, "-e", "/dev/stderr", "-c", conf)}\n'
                         f'ready = {{ tcp = "127.0.0.1:{port}" }}\nrestart = "never"\n')
        sup.wait_state("nginx", "ready", timeout=15)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/taskmux-probe") as r:
            self.assertEqual(r.read(), b"hello from nginx\n")
        # The access log line, written by a www-data worker to /dev/stdout, reaches taskmux's stdout.
        sup.wait_stdout('"GET /taskmux-probe HTTP/1.1" 200')
        self.assertIn("nginx[0] | ", sup.stdout())
        self.assertNotIn("Permission denied", sup.stderr())
        rows = sup.rows("nginx")
        self.assertEqual((rows[0]["state"], rows[0]["restarts"]), ("ready", 0), rows)
        sup.signal(15)
        self.assertEqual(sup.wait_exit(), 0)
        self.assertEqual(sup.leftovers(), [])


if __name__ == "__main__":
    unittest.main()
