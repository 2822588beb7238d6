# SPDX-License-Identifier: BSD-3-Clause
"""Shared fixtures for the results tool tests: where the build is, how to run it."""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)


def _build_dir():
    return os.environ.get("TPA_BUILD", os.path.join(TOP, "build"))


@pytest.fixture(scope="session")
def build_dir():
    b = _build_dir()
    exe = os.path.join(b, "results", "results")
    if not os.access(exe, os.X_OK):
        pytest.fail("%s is not built: ninja -C %s results/results results/tpa-insn-loop "
                    "(or set TPA_BUILD)" % (exe, b))
    return b


@pytest.fixture(scope="session")
def results(build_dir):
    exe = os.path.join(build_dir, "results", "results")

    def run(*args, check=None, env=None, cwd=None):
        e = dict(os.environ, TPA_BUILD=build_dir)
        if env:
            e.update(env)
        p = subprocess.run([exe] + [str(a) for a in args], capture_output=True, text=True,
                           env=e, cwd=cwd, timeout=300)
        if check is not None:
            assert p.returncode == check, "exit %d, want %d\nstdout:\n%s\nstderr:\n%s" % (
                p.returncode, check, p.stdout, p.stderr)
        return p
    run.exe = exe
    return run
