# Fixtures of the matrix-shell (ms-list / ms-run) tests.
# The binaries come from $TPA_BUILD/matrix (TPA_BUILD defaults to /work/main/build).
import os
import signal
from pathlib import Path

import pytest

from ms_helpers import Ms, binary, pid_alive


@pytest.fixture(scope="session")
def ms_list_bin():
    return binary("ms-list")


@pytest.fixture(scope="session")
def ms_run_bin():
    return binary("ms-run")


@pytest.fixture
def ms(tmp_path, ms_list_bin, ms_run_bin):
    return Ms(tmp_path, ms_list_bin, ms_run_bin)


@pytest.fixture
def pid_reaper():
    """Collects pid files; kills whatever is still alive at the end, so a failing test leaves nothing."""
    files = []
    yield files
    for f in files:
        try:
            pid = int(Path(f).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
