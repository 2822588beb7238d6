"""Helpers of the matrix-shell tests (a module name of its own: tests/ has its own conftest)."""
import json
import os
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("TPA_BUILD", "/work/main/build"))


def binary(name):
    path = BUILD / "matrix" / name
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} not built: ninja -C {BUILD} matrix/{name} (or set TPA_BUILD)")
    return str(path)


class Ms:
    """Write scenario files into a scratch dir and run the tools on them."""

    def __init__(self, tmp, list_bin, run_bin):
        self.tmp = tmp
        self.list_bin = list_bin
        self.run_bin = run_bin
        self.results = tmp / "results"

    def write(self, name, text, raw=False):
        """Write a file; unless raw, dedent it and drop the first newline (for triple quotes)."""
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if raw else textwrap.dedent(text).lstrip("\n"))
        return path

    def list(self, *args, check=True):
        p = subprocess.run([self.list_bin, *map(str, args)], capture_output=True, text=True,
                           cwd=self.tmp, timeout=30)
        if check and p.returncode != 0:
            raise AssertionError(f"ms-list {args} failed ({p.returncode}): {p.stderr}")
        return p

    def ids(self, *args):
        return self.list("--short", *args).stdout.split()

    def run(self, *args, timeout=60, results=True):
        extra = ["--results", str(self.results)] if results else []
        return subprocess.run([self.run_bin, *extra, *map(str, args)], capture_output=True,
                              text=True, cwd=self.tmp, timeout=timeout)

    def run_dirs(self):
        if not self.results.exists():
            return []
        return sorted(p for p in self.results.iterdir() if p.is_dir())

    def last_run(self):
        dirs = self.run_dirs()
        assert dirs, "no run directory was created"
        return dirs[-1]


def load_json(path):
    return json.loads(Path(path).read_text())


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_for(pred, secs=10.0):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()
