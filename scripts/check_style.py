#!/usr/bin/env python3
"""The house rules that a compiler does not check, kept by the test suite (ctest -L style):

- every production function (internal/, provider/) is at most 120 lines: longer ones are split along their seams;
- header guards are FOUNDRY_<PATH>_H, derived from the file's path;
- one success idiom: failure is `< 0` (FY_E* codes are negative), never `!= FY_OK`, `== FY_OK`, `rc != 0`, or a
  project function's result (or an assignment of it) compared `!= 0`; system calls keep their own `!= 0`;
- shared helpers are not copied: a clock (a function named like now/mono/clock/time that takes nothing and returns a
  number) is fy_now_ms, "set" is cty_is_set, "unknown"/"absent" tests are cty's;
- a comment line fits in 120 columns (tabs at 8), as code does;
- what differs between Linux and macOS is in the platform layer (internal/common/fy_os.h) alone: no platform #if and
  no Linux-only call (pipe2, signalfd, prctl, getrandom, ...) in any other file (docs/internals/darwin.md 4);
- the formatting is .clang-format's (clang-format --dry-run -Werror), where clang-format is installed.

Usage: check_style.py [--max-lines N]. Prints each finding and ends with "N passed, N failed".
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sources(*exts):
    out = subprocess.run(["git", "ls-files", "internal", "provider"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    return [f for f in out if f.endswith(exts)]


FUNC_START = re.compile(r"^[A-Za-z_][\w \*]*\b(\w+)\([^;]*$")


def long_functions(path, limit):
    """Functions whose body (from the line with the name to the closing brace at column 0) is longer than limit."""
    lines = open(os.path.join(ROOT, path), encoding="utf-8").read().split("\n")
    found, name, start = [], None, 0
    for i, line in enumerate(lines):
        if name is None:
            m = FUNC_START.match(line)
            if m and not line.startswith(("typedef", "static const", "const ", "#")) and "=" not in line:
                name, start = m.group(1), i
        elif line.startswith("}"):
            n = i - start + 1
            if n > limit:
                found.append(f"{path}:{start + 1}: {name} is {n} lines (at most {limit})")
            name = None
        elif line and not line[0].isspace() and not line.startswith(("{", "#", "/", " *", "*")) and line.endswith(";"):
            name = None  # a prototype spread over lines
    return found


def guards(path):
    want = "FOUNDRY_" + re.sub(r"[^A-Za-z0-9]", "_", path).upper()
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    m = re.search(r"#ifndef (\w+)\n#define \1\n", text)
    if not m:
        return [f"{path}: no include guard"]
    return [] if m.group(1) == want else [f"{path}: include guard {m.group(1)}, want {want}"]


PROJECT_CALL = r"\b(?:fy|cty|tf|http|auth|arm|rpc|plugin|tflog|foundry)_\w+"
IDIOMS = [
    (re.compile(r"[!=]= FY_OK\b"), "compare with `< 0` (or `== 0`), not FY_OK"),
    (re.compile(r"\brc != 0\b"), "failure is `rc < 0`"),
    (re.compile(r"\(rc = \w+\(.*\)\) != 0"), "failure is `(rc = f(...)) < 0`"),
    (re.compile(r"(?<![\w.>])(?!cty_(?:is|has)_|cty_length|tf_diags_count|tf_diags_has)" + PROJECT_CALL[2:]
                + r"\([^;{]*\) != 0"), "failure is `f(...) < 0`"),
    (re.compile(r"static (?:long|int64_t|uint64_t|double) \w*(?:now|mono|clock|time)\w*\(void\)"),
     "use fy_now_ms() (internal/common/fy_time.h)"),
    (re.compile(r"static int (?:is_(?:unknown|null|known_null|set)|known_nonnull|obj_or_null)\(const cty_value"),
     "use cty_is_set/cty_is_unknown_value/cty_is_absent"),
    (re.compile(r"\b(\w+) && cty_is_known\(\1\) && !cty_is_null\(\1\)"), "use cty_is_set"),
]


def idioms(path):
    out = []
    for n, line in enumerate(open(os.path.join(ROOT, path), encoding="utf-8"), 1):
        for rx, why in IDIOMS:
            if rx.search(line) and not (why == "failure is `f(...) < 0`" and "cmp(" in line):
                out.append(f"{path}:{n}: {why}: {line.strip()}")
        text = line.rstrip("\n")
        if re.match(r"\s*(/\*|\*|//)", text) and len(text.expandtabs(8)) > 120:
            out.append(f"{path}:{n}: comment line over 120 columns")
    return out


PLATFORM_IF = re.compile(r"^\s*#\s*(?:if|ifdef|ifndef|elif)\b.*\b(?:__linux__|__gnu_linux__|__APPLE__|__MACH__|"
                         r"__GLIBC__|__FreeBSD__|_WIN32)\b")
PLATFORM_CALL = re.compile(r"\b(pipe2|signalfd|prctl|getrandom|getentropy|malloc_trim|pthread_condattr_setclock|"
                           r"pthread_timedjoin_np|pthread_cond_timedwait_relative_np|kqueue)\s*\(")


def platform(path):
    """Platform differences belong to internal/common/fy_os_<os>.c (and the Linux-only internal/compat/)."""
    if re.match(r"internal/common/fy_os_\w+\.c$", path) or path.startswith("internal/compat/"):
        return []
    out = []
    for n, line in enumerate(open(os.path.join(ROOT, path), encoding="utf-8"), 1):
        code = line.split("//")[0]
        if PLATFORM_IF.search(code):
            out.append(f"{path}:{n}: a platform #if outside internal/common/fy_os_*.c: {line.strip()}")
        m = PLATFORM_CALL.search(code)
        if m and not re.match(r"\s*(/\*|\*)", code):
            out.append(f"{path}:{n}: {m.group(1)} is not on every platform; use internal/common/fy_os.h")
    return out


def formatting(files):
    cf = shutil.which("clang-format") or shutil.which("clang-format-14")
    if not cf:
        print("style: clang-format is not installed (scripts/setup.sh installs it); formatting not checked")
        return None
    r = subprocess.run([cf, "--dry-run", "-Werror", *files], cwd=ROOT, capture_output=True, text=True)
    return [l for l in r.stderr.splitlines() if ": error:" in l]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-lines", type=int, default=120)
    args = ap.parse_args()
    checks = {
        "function length": [f for p in sources(".c") for f in long_functions(p, args.max_lines)],
        "include guards": [f for p in sources(".h") for f in guards(p)],
        "idioms": [f for p in sources(".c", ".h") for f in idioms(p)],
        "platform": [f for p in sources(".c", ".h", ".cc") for f in platform(p)],
    }
    fmt = formatting(sources(".c", ".h"))
    if fmt is not None:
        checks["clang-format"] = fmt
    failed = 0
    for name, findings in checks.items():
        for f in findings[:50]:
            print(f"{name}: {f}")
        if len(findings) > 50:
            print(f"{name}: ... and {len(findings) - 50} more")
        failed += bool(findings)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
