"""pytest glue shared by every end-to-end test under tests/.

- markers: lab (needs root and network namespaces), relay (needs the built
  tpa-relay), stack (needs the built tpa stack), slow.
- fixtures: `lab` (a fresh Lab, torn down after the test whatever happens),
  `lab_factory` (several labs), `veth` (a factory: veth(relay=[...]) -> Lab with
  the veth topology up), `fake_stack` (the stand-in TAP program command).
- a session finalizer removes every lab this session created (they carry the
  owner tag $TPA_LAB_OWNER); set TPA_LAB_DOWN_ALL=1 to remove every lab on the
  machine instead (`tpa-lab down --all`).
"""
import glob
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tpalab  # noqa: E402

FAKE_STACK = Path(__file__).resolve().parent / "lab" / "fake_stack.py"


def pytest_configure(config):
    for m in ("lab: needs root and network namespaces (tpa-lab)",
              "relay: needs the built tpa-relay ($TPA_BUILD/netns/tpa-relay)",
              "stack: needs the built tpa stack programs",
              "slow: takes more than a few seconds"):
        config.addinivalue_line("markers", m)
    # every lab made by this session, directly or through tpa-lab, carries this tag
    os.environ.setdefault("TPA_LAB_OWNER", "pytest-%d" % os.getpid())


def pytest_collection_modifyitems(config, items):
    no_root = os.geteuid() != 0
    no_relay = not tpalab.relay_binary().exists()
    for item in items:
        if no_root and item.get_closest_marker("lab"):
            item.add_marker(pytest.mark.skip(reason="tpa-lab needs root"))
        if no_relay and item.get_closest_marker("relay"):
            item.add_marker(pytest.mark.skip(
                reason="%s not built (set TPA_BUILD)" % tpalab.relay_binary()))


@pytest.fixture(scope="session", autouse=True)
def _labs_down_at_end():
    yield
    if os.geteuid() != 0 or not tpalab.TPA_LAB.exists():
        return
    if os.environ.get("TPA_LAB_DOWN_ALL") == "1":
        tpalab.lab_cmd("down", "--all", check=False)
    else:
        tpalab.lab_cmd("down", "--all", "--owner", os.environ["TPA_LAB_OWNER"], check=False)


@pytest.fixture(scope="session", autouse=True)
def _dead_unit_runtime_dirs_removed_at_end():
    """Unit-test harness processes remove their EAL runtime directory at exit;
    one that crashed on purpose (the fuzz tests' planted overflow) cannot."""
    yield
    for d in glob.glob("/var/run/dpdk/tpa-unit-*"):
        pid = d.rsplit("-", 1)[1]
        if pid.isdigit() and not os.path.exists("/proc/%s" % pid):
            shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def lab():
    with tpalab.Lab() as lab:
        yield lab


@pytest.fixture
def lab_factory():
    labs = []

    def make(name=None):
        lab = tpalab.Lab(name).up()
        labs.append(lab)
        return lab

    yield make
    for lab in reversed(labs):
        lab.close()


@pytest.fixture
def veth():
    """veth(relay=None, name=None) -> Lab with tpa-NAME-a <-> [relay] <-> tpa-NAME-b."""
    labs = []

    def make(relay=None, name=None):
        lab = tpalab.Lab(name)
        labs.append(lab)
        return lab.veth_up(relay=relay)

    yield make
    for lab in reversed(labs):
        lab.close()


@pytest.fixture
def fake_stack():
    """Command of the stand-in stack: makes the TAP, answers ARP and ping."""
    return ["/usr/bin/python3", str(FAKE_STACK)]
