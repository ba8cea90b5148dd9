"""scripts/soak.py (a script, not run by the suite): it imports and parses its options."""
from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_python(code: str) -> subprocess.CompletedProcess:
    # A process of its own: importing locust patches the standard library for gevent.
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "scripts")))


def test_defaults_and_options_parse():
    res = run_python("import soak\n"
                     "a = soak.parse_args([])\n"
                     "print(a.users, a.duration, a.workers, a.pg_stop_mode)\n"
                     "b = soak.parse_args(['--users', '10', '--duration', '30', '--pg-stop-mode', 'fast'])\n"
                     "print(b.users, b.duration, b.pg_stop_mode, soak.SoakWorker.tasks == [soak.SoakWorker.log_case])")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split("\n")[:2] == ["40 75.0 2 immediate", "10 30.0 fast True"]


def test_bad_options_are_refused():
    for argv in (["--workers", "1"], ["--restart-at", "1.5"], ["--duration", "0"], ["--kills", "0"],
                 ["--pg-stop-mode", "kill"]):
        res = run_python(f"import soak; soak.parse_args({argv!r})")
        assert res.returncode == 2, (argv, res.stderr)
        assert "error:" in res.stderr
