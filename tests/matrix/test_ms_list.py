# ms-list: expansion (count, order, exclude/include, vars, regex, ids) and every input error.
import json
import subprocess

import pytest

GRID = """
# a 3 x 2 x 2 grid
params:
  test: [read, write, rw]
  message_size: [1, 64]
  nr_thread: [1, 2]
end
default_params:
  duration: 10
end
exclude:
  - test: rw
    nr_thread: 2
  - test: write
    message_size: 1
end
include:
  - test: read
    zc: 1
  - test: crr
    message_size: 1
end
body_marker=yes
"""


def expected_grid_ids():
    ids = []
    for t in ["read", "write", "rw"]:
        for m in ["1", "64"]:
            for n in ["1", "2"]:
                if (t == "rw" and n == "2") or (t == "write" and m == "1"):
                    continue
                extra = "__zc=1" if t == "read" else ""
                ids.append(f"grid/test={t}__message_size={m}__nr_thread={n}{extra}")
    ids.append("grid/test=crr__message_size=1")
    return ids


def test_classic_id(ms):
    f = ms.write("test.ms", """
        params:
          test: [read]
          message_size: [1]
          nr_thread: [1]
        end
        """)
    assert ms.ids(f) == ["test/test=read__message_size=1__nr_thread=1"]


def test_count_order_exclude_include(ms):
    f = ms.write("grid.ms", GRID)
    ids = ms.ids(f)
    want = expected_grid_ids()
    # 12 combinations - 2 (rw, n=2) - 2 (write, m=1) + 1 new include
    assert len(want) == 12 - 2 - 2 + 1
    assert ids == want
    assert ms.list("--count", f).stdout.strip() == str(len(want))
    # default is --short
    assert ms.list(f).stdout.split() == want


def test_regex_filter(ms):
    f = ms.write("grid.ms", GRID)
    got = ms.ids("-g", "test=(read|crr)__message_size=1(__|$)", f)
    assert got == ["grid/test=read__message_size=1__nr_thread=1__zc=1",
                   "grid/test=read__message_size=1__nr_thread=2__zc=1",
                   "grid/test=crr__message_size=1"]
    assert ms.list("--count", "-g", "nomatch", f).stdout.strip() == "0"
    bad = ms.list("-g", "(unclosed", f, check=False)
    assert bad.returncode == 2 and "bad regular expression" in bad.stderr


def test_json(ms):
    f = ms.write("grid.ms", GRID)
    cases = json.loads(ms.list("--json", f).stdout)
    assert [c["id"] for c in cases] == expected_grid_ids()
    assert cases[0]["params"] == {"test": "read", "message_size": "1", "nr_thread": "1", "zc": "1"}
    assert cases[0]["scenario"] == "grid"
    assert json.loads(ms.list("--json", "--count", f).stdout) == {"count": len(cases)}
    with_scripts = json.loads(ms.list("--json", "--shell", "-g", "crr", f).stdout)
    assert "body_marker=yes" in with_scripts[0]["script"]


def run_script(text, cwd):
    return subprocess.run(["bash", "-c", text], capture_output=True, text=True, cwd=cwd, timeout=30)


def test_shell_values_and_vars(ms):
    # values with quotes, $(...), spaces and lists must reach the body verbatim
    f = ms.write("q.ms", """
        default_params:
          greeting: "it's $(touch pwned) `x`"
          dur: 10
          cpus: [0, 2]
        end
        params:
          name: ['a b', "c'd"]
        end
        printf '<%s>' "$greeting" "$dur" "$name" "${#cpus[@]}" "${cpus[1]}" "$extra"
        """)
    out = ms.list("--shell", "--var", "dur=5", "--var", "extra=x y;z", f).stdout
    scripts = out.split("### ==== case ")[1:]
    assert len(scripts) == 2
    script = scripts[1].split("\n", 1)[1]
    r = run_script(script, ms.tmp)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "<it's $(touch pwned) `x`><5><c'd><2><2><x y;z>"
    assert not (ms.tmp / "pwned").exists()
    # order: defaults, params, --var overrides: --var beats params too
    out = ms.list("--shell", "--var", "name=over", "-g", "a_b", f).stdout
    r = run_script(out.split("\n", 1)[1], ms.tmp)
    assert r.stdout.startswith("<it's $(touch pwned) `x`><10><over>")


def test_bad_var(ms):
    f = ms.write("v.ms", "echo\n")
    for arg in ["novalue", "1x=2", "a-b=1"]:
        r = ms.list("--var", arg, f, check=False)
        assert r.returncode == 2 and arg in r.stderr


def test_include_relative_nested(ms):
    ms.write("lib/inner.msh", "inner() { echo inner; }\n")
    ms.write("lib/outer.msh", """
        #include inner.msh
        default_params:
          from_lib: yes
        end
        """)
    f = ms.write("sub/../top.ms", """
        #include lib/outer.msh
        params:
          p: [1]
        end
        inner; echo "$from_lib"
        """)
    out = ms.list("--shell", f).stdout
    r = run_script(out.split("\n", 1)[1], ms.tmp)
    assert r.stdout == "inner\nyes\n"


def test_multiple_files_and_clash(ms):
    a = ms.write("a.ms", "params:\n  x: [1, 2]\nend\n")
    b = ms.write("b.ms", "echo\n")
    assert ms.ids(a, b) == ["a/x=1", "a/x=2", "b/default"]
    c = ms.write("other/a.ms", "echo\n")
    r = ms.list(a, c, check=False)
    assert r.returncode == 2 and "scenario name 'a'" in r.stderr


def test_ids_are_dir_safe(ms):
    f = ms.write("my test.ms", """
        params:
          path: ['/etc/passwd', 'a b', '*?']
        end
        """)
    ids = ms.ids(f)
    assert ids == ["my_test/path=_etc_passwd", "my_test/path=a_b", "my_test/path=__"]
    for i in ids:
        scen, part = i.split("/")
        assert part not in (".", "..") and "/" not in part


ERRORS = [
    ("params:\n  a: [1, 2\nend\n", 3, 1, "bad YAML"),
    ("echo\nparams:\n  a: []\nend\n", 3, 6, "empty list"),
    ("params:\n  a: [1]\n  a: [2]\nend\n", 3, 3, "duplicate key 'a'"),
    ("default_params:\n  x: 1\n  x: 1\nend\n", 3, 3, "duplicate key 'x'"),
    ("echo\nparams:\n  a: [1]\n", 2, 1, "unterminated 'params:' block"),
    ("include:\n  - a: 1\n", 1, 1, "unterminated 'include:' block"),
    ("echo\nmatrix:\n  a: [1]\nend\n", 2, 1, "unknown block 'matrix:'"),
    ("\n#include nope.msh\n", 2, 10, "cannot include 'nope.msh'"),
    ("timeout: x\n", 1, 10, "positive number"),
    ("params:\n  a: [1]\nend\nexclude:\n  - b: 1\nend\n", 5, 5, "'b' is not a parameter"),
    ("params:\n  my-param: [1]\nend\n", 2, 3, "not a valid name"),
    ("params:\n  a: [x, 'x ']\n  b: ['y', 'y']\nend\n", 2, 3, "same case id"),
]


@pytest.mark.parametrize("text,line,col,what", ERRORS)
def test_errors(ms, text, line, col, what):
    f = ms.write("bad.ms", text, raw=True)
    for tool in (ms.list,):
        r = tool(f, check=False)
        assert r.returncode == 2, r
        first = r.stderr.splitlines()[0]
        assert first.startswith(f"{f}:{line}:{col}: "), first
        assert what in first


def test_include_cycle_error(ms):
    ms.write("x.msh", "echo x\n#include y.msh\n")
    ms.write("y.msh", "\n\n#include x.msh\n", raw=True)
    f = ms.write("c.ms", "#include x.msh\n")
    r = ms.list(f, check=False)
    assert r.returncode == 2
    assert r.stderr.startswith(f"{ms.tmp}/y.msh:3:10: include cycle:"), r.stderr


def test_errors_in_ms_run_too(ms):
    f = ms.write("bad.ms", "params:\n  a: []\nend\n")
    r = ms.run(f)
    assert r.returncode == 2 and r.stderr.startswith(f"{f}:2:6: ")
    assert not ms.results.exists() or ms.run_dirs() == []


def test_missing_file(ms):
    r = ms.list(ms.tmp / "absent.ms", check=False)
    assert r.returncode == 2 and "absent.ms" in r.stderr
    r = ms.list(check=False)
    assert r.returncode == 2 and "usage" in r.stderr
