#!/usr/bin/python3
"""Runs every shell command shown in README.md and docs/*.md.

A fenced block whose info string is exactly `sh` is run; `sh WORD` (for
example `sh network`, `sh slow`, `sh interactive`) is only checked for
syntax (`sh -n`), WORD saying why it cannot run in a test.  Other blocks
(`text`, `json`, `python`) are output or code, not commands.  A fence
without a language is an error: the reader could not tell which it is.

Each document gets its own scratch copy of the repository (tracked files,
timestamps kept, and the build folder linked in), and its blocks run there
in order with `sh -e`, as a reader would type them one after another.

    /usr/bin/python3 tests/doc_commands.py [--build DIR] [--list] [FILE.md ...]

Prints one line per block and exits 1 if any block failed, naming the
document, the line of the block and the command's last output.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

FENCE = re.compile(r"^(```+)\s*([^`]*)$")


def blocks(path):
    """Yields (line, info, text) for every fenced block of a Markdown file."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i].strip())
        if not m:
            i += 1
            continue
        fence, info, start = m.group(1), m.group(2).strip(), i + 1
        body = []
        i += 1
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i])
            i += 1
        i += 1
        yield start, info, "\n".join(body) + "\n"


def scratch_copy(repo, build):
    """A copy of the tracked files (mtimes kept) with build/ linked to the real one."""
    d = tempfile.mkdtemp(prefix="argen-docs.")
    files = subprocess.run(["git", "-C", repo, "ls-files", "-z"], check=True,
                           capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = os.path.join(repo, rel)
        if not os.path.isfile(src):
            continue
        dst = os.path.join(d, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
    for extra in ("data/gpt2",):                 # fetched by make test, gitignored
        if os.path.isdir(os.path.join(repo, extra)):
            os.symlink(os.path.join(repo, extra), os.path.join(d, extra))
    os.symlink(os.path.abspath(build), os.path.join(d, "build"))
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="the build folder to link in (default build)")
    ap.add_argument("--list", action="store_true", help="list the blocks, run nothing")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per block (default 300)")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    files = a.files or ["README.md"] + sorted(
        os.path.join("docs", f) for f in os.listdir(os.path.join(repo, "docs")) if f.endswith(".md"))
    ran = checked = failed = 0
    for doc in files:
        every = list(blocks(os.path.join(repo, doc)))
        for ln, info, text in every:
            if not info and not a.list:          # output or command? the reader cannot tell either
                failed += 1
                print(f"FAIL {doc}:{ln}: a fence without a language: "
                      "sh (runs), sh WORD (syntax only), text (output), ...")
        todo = [(ln, info, text) for ln, info, text in every if info.split()[:1] == ["sh"]]
        if not todo:
            continue
        if a.list:
            for ln, info, text in todo:
                print(f"{doc}:{ln}: [{info}] {text.strip().splitlines()[0] if text.strip() else ''}")
            continue
        d = scratch_copy(repo, a.build)
        try:
            for ln, info, text in todo:
                words = info.split()
                if len(words) > 1:
                    r = subprocess.run(["sh", "-n"], input=text, text=True, capture_output=True)
                    ok, what = r.returncode == 0, f"syntax only ({' '.join(words[1:])})"
                    checked += 1
                else:
                    t0 = time.monotonic()
                    try:
                        r = subprocess.run(["sh", "-e"], input=text, text=True, errors="replace", capture_output=True,
                                           cwd=d, timeout=a.timeout,
                                           env=dict(os.environ, ARGEN_DOCS_TEST="1"))
                        ok = r.returncode == 0
                        what = f"ran (exit {r.returncode}, {time.monotonic() - t0:.1f} s)"
                    except subprocess.TimeoutExpired:
                        r, ok, what = None, False, f"timed out after {a.timeout} s"
                    ran += 1
                print(f"{'ok  ' if ok else 'FAIL'} {doc}:{ln}: {what}")
                if not ok:
                    failed += 1
                    if r is not None:
                        tail = (r.stdout + r.stderr).strip().splitlines()[-8:]
                        for t in tail:
                            print(f"       | {t}")
        finally:
            shutil.rmtree(d, ignore_errors=True)
    if not a.list:
        print(f"doc commands: {ran} blocks ran, {checked} syntax-checked, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
