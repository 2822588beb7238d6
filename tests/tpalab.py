"""tpalab: the netns lab (netns/tpa-lab) from Python, for every end-to-end test.

    from tpalab import Lab
    with Lab("demo") as lab:                    # tpa-lab up; down always runs
        p = lab.run_stack(["./my-server"])      # returns once the TAP is configured
        r = lab.peer(["ping", "-c1", lab.env["STACK_IP"]])
        lab.stop_stack(p)

Tools are found from the repo root (this file's parent's parent) and $TPA_BUILD
(default /work/main/build): tpa-lab itself is the script in netns/, the relay
binary is $TPA_BUILD/netns/tpa-relay (tpa-lab reads TPA_BUILD too).
"""
import itertools
import json
import os
import shlex
import signal
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("TPA_BUILD", "/work/main/build"))
TPA_LAB = Path(os.environ.get("TPA_LAB", REPO / "netns" / "tpa-lab"))
LAB_RUN = Path(os.environ.get("TPA_LAB_RUN", "/run/tpa-lab"))
LOG_DIR = Path(os.environ.get("TPA_LAB_LOGS", "/tmp/tpalab-logs"))

_names = itertools.count()


class LabError(RuntimeError):
    pass


def build_tool(rel):
    """Path of a built program, e.g. build_tool('netns/tpa-relay')."""
    return BUILD / rel


def relay_binary():
    return Path(os.environ.get("TPA_RELAY", build_tool("netns/tpa-relay")))


def tool_env():
    env = dict(os.environ)
    env.setdefault("TPA_BUILD", str(BUILD))
    return env


def lab_cmd(*args, check=True, timeout=120, **kw):
    """Run `tpa-lab ARGS...`; returns CompletedProcess (text, output captured)."""
    kw.setdefault("capture_output", True)
    r = subprocess.run([str(TPA_LAB), *map(str, args)], text=True, timeout=timeout,
                       env=kw.pop("env", tool_env()), **kw)
    if check and r.returncode != 0:
        raise LabError("tpa-lab %s failed (%d): %s%s" % (
            " ".join(map(str, args)), r.returncode, r.stdout or "", r.stderr or ""))
    return r


def read_log(p):
    """Output of a Popen started by Lab.run_stack() with its default log file."""
    path = getattr(p, "log_path", None)
    if not path:
        return ""
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def unique_name(prefix="p"):
    """A lab name unique to this process: prefix + pid + counter (<= 10 chars)."""
    return ("%s%05d%03d" % (prefix[:2], os.getpid() % 100000, next(_names) % 1000))[:10]


def parse_env(text):
    out = {}
    for line in text.splitlines():
        if "=" in line:
            k, _, v = line.partition("=")
            out[k] = shlex.split(v)[0] if v.startswith("'") else v
    return out


class Lab:
    """One lab: peer namespace tpa-NAME (+ optional veth pair, relay).

    A context manager; `down` runs on exit whatever happened, and every process
    started through the object is stopped first.
    """

    def __init__(self, name=None):
        self.name = name or unique_name()
        self._env = None
        self._procs = []

    # -- lifecycle --
    def __enter__(self):
        self.up()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def up(self):
        lab_cmd("up", self.name)
        return self

    def close(self):
        for p in reversed(self._procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
        self._procs.clear()
        self.down()

    def down(self):
        lab_cmd("down", self.name, check=False)

    @property
    def env(self):
        """STACK_IP, PEER_IP, IFACE, STACK_MAC, NETNS, PREFIX, A_IP, B_IP, TPA_CFG, ..."""
        if self._env is None:
            self._env = parse_env(lab_cmd("env", self.name).stdout)
        return self._env

    @property
    def state_dir(self):
        return LAB_RUN / self.name

    # -- the stack side --
    def run_stack(self, cmd, bg=True, workers=None, timeout=30, env=None, **popen_kw):
        """Start CMD through `tpa-lab run` (foreground mode, so signals sent to the
        returned Popen reach CMD). bg=True: return once the TAP is configured;
        bg=False: wait for CMD to end. Raises LabError if CMD ends before its TAP is up."""
        args = [str(TPA_LAB), "run", self.name, "--timeout", str(timeout)]
        if workers:
            args += ["--workers", str(workers)]
        args += ["--", *map(str, cmd)]
        e = tool_env()
        if env:
            e.update(env)
        log = None
        if "stdout" not in popen_kw:
            # a file, not a pipe: a chatty stack must never block on its output
            LOG_DIR.mkdir(parents=True, exist_ok=True)
            log = tempfile.NamedTemporaryFile("w+", dir=LOG_DIR, prefix=self.name + "-",
                                              suffix=".log", delete=False)
            popen_kw["stdout"] = log
            popen_kw.setdefault("stderr", subprocess.STDOUT)
        popen_kw.setdefault("text", True)
        ready = self.state_dir / "ready"
        try:
            ready.unlink()
        except FileNotFoundError:
            pass
        p = subprocess.Popen(args, env=e, **popen_kw)
        p.log_path = log.name if log else None
        if log:
            log.close()
        self._procs.append(p)
        if not bg:
            p.wait()
            return p
        deadline = time.monotonic() + timeout + 5
        while not ready.exists():
            if p.poll() is not None:
                raise LabError("stack ended (status %s) before its TAP was ready:\n%s"
                               % (p.returncode, read_log(p)))
            if time.monotonic() > deadline:
                raise LabError("stack TAP not ready after %ss" % timeout)
            time.sleep(0.02)
        return p

    def stop_stack(self, p, sig=signal.SIGINT, timeout=15):
        """Signal the stack (forwarded by tpa-lab) and return its exit status."""
        if p.poll() is None:
            p.send_signal(sig)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
        return p.returncode

    # -- the kernel side --
    def _ns_args(self, side):
        return ["--side", side] if side else []

    def peer(self, cmd, side=None, check=False, timeout=60, **kw):
        """Run CMD in the peer namespace (side 'a'/'b'/'r' for the veth/relay ones)."""
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        return subprocess.run([str(TPA_LAB), "peer", self.name, *self._ns_args(side), "--",
                               *map(str, cmd)], check=check, timeout=timeout,
                              env=kw.pop("env", tool_env()), **kw)

    def peer_popen(self, cmd, side=None, **kw):
        """Start CMD in the peer namespace; stopped (SIGTERM) when the lab closes."""
        kw.setdefault("text", True)
        p = subprocess.Popen([str(TPA_LAB), "peer", self.name, *self._ns_args(side), "--",
                              *map(str, cmd)], env=kw.pop("env", tool_env()), **kw)
        self._procs.append(p)
        return p

    # -- topologies --
    def veth_up(self, relay=None):
        """tpa-NAME-a <-> tpa-NAME-b; through tpa-relay with RELAY (list of options)."""
        args = ["veth-up", self.name]
        if relay is not None:
            args += ["--relay", *map(str, relay)]
        lab_cmd(*args)
        return self

    def veth_down(self):
        lab_cmd("veth-down", self.name)

    def relay_up(self, opts=()):
        lab_cmd("relay-up", self.name, *map(str, opts))
        return self

    def relay_down(self, force=False):
        lab_cmd("relay-down", self.name, *(["--force"] if force else []))

    def relay_stats(self, veth=False):
        """The relay's counters as a dict (live: the relay rewrites them on request)."""
        r = lab_cmd("relay-stats", self.name, *(["--veth"] if veth else []))
        return json.loads(r.stdout)

    def fabric(self, kind):
        return parse_env(lab_cmd("fabric", self.name, kind).stdout)
