"""Environment variables that hold taskmux's own secrets (SPEC "Environment of a task",
docs/DECISIONS.md "Secrets"): a variable named by ${VAR} in [reports] url, [http] token or an
[sftp.NAME] password is not inherited by tasks; a task gets it only by naming it in its own env."""
import unittest

from harness import TaskmuxTest, probe

SECRETS = {
    "RABBIT_URL": "amqp://u:secret@127.0.0.1:1/%2f",
    "TASKMUX_TOKEN": "token-secret",
    "SFTP_PWD": "sftp-secret",
    "SFTP_DEFAULTED": "defaulted-secret",
}
HEAD = ('[reports]\nbackend = "embedded"\nurl = "${RABBIT_URL}"\n\n'
        '[http]\ntoken = "${TASKMUX_TOKEN}"\n\n'
        '[sftp.files]\nhost = "sftp-srv"\nuser = "admin"\npassword = "pw-${SFTP_PWD}-${SFTP_DEFAULTED:-x}"\n\n')


def task_env(out, task):
    """The environment a task printed (probe_task env), as a dict."""
    prefix = f"{task}[0] | "
    return dict(line[len(prefix):].split("=", 1) for line in out.splitlines()
                if line.startswith(prefix) and "=" in line)


class SecretsTest(TaskmuxTest):
    def env_of(self, task_tables):
        """The environments of the tasks `plain` and `named` (each prints its own and exits)."""
        sup = self.start(HEAD + task_tables, env=dict(SECRETS, TASKMUX_TEST_PLAIN="plain-value"))
        sup.wait_state("plain", "exited")
        sup.wait_state("named", "exited")
        out = sup.stdout()
        return task_env(out, "plain"), task_env(out, "named")

    def test_variables_of_taskmux_secrets_are_not_inherited_by_a_task(self):
        for env in self.env_of(f'[[task]]\nname = "plain"\ncommand = {probe("env")}\nrestart = "never"\n\n'
                               f'[[task]]\nname = "named"\ncommand = {probe("env")}\nrestart = "never"\n'):
            self.assertEqual(env.get("TASKMUX_TEST_PLAIN"), "plain-value", "other variables are inherited")
            self.assertEqual(sorted(env.keys() & SECRETS.keys()), [], "secret variables were inherited")
            self.assertEqual([v for v in SECRETS.values() if v in "\n".join(env.values())], [])

    def test_a_task_that_names_a_secret_variable_in_its_env_gets_it(self):
        plain, named = self.env_of(
            f'[[task]]\nname = "plain"\ncommand = {probe("env")}\nrestart = "never"\n\n'
            f'[[task]]\nname = "named"\ncommand = {probe("env")}\nrestart = "never"\n'
            'env = { RABBIT_URL = "${RABBIT_URL}", SFTP_PWD = "mine" }\n')
        self.assertEqual(named.get("RABBIT_URL"), SECRETS["RABBIT_URL"])
        self.assertEqual(named.get("SFTP_PWD"), "mine")
        self.assertEqual(sorted(named.keys() & SECRETS.keys()), ["RABBIT_URL", "SFTP_PWD"])
        self.assertEqual(sorted(plain.keys() & SECRETS.keys()), [])


if __name__ == "__main__":
    unittest.main()
