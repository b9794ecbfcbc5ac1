#!/usr/bin/env python3
"""check_merge_markers.py - no file the repository tracks holds a line left
by an unresolved merge: one that starts with "<<<<<<< " or ">>>>>>> " (a
line of seven "=" alone is also a Markdown heading's underline).

Usage: check_merge_markers.py REPO_ROOT. Reads the files git tracks there
(every text file outside .git when git is not available); exit 1 and one
line per marker found, else exit 0 and a count.
"""
import os
import re
import subprocess
import sys

MARKER = re.compile(rb"^(<<<<<<< |>>>>>>> )")


def tracked(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                             capture_output=True).stdout
        return [p.decode() for p in out.split(b"\0") if p]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if x != ".git" and not x.startswith("build")]
            files += [os.path.relpath(os.path.join(d, n), root) for n in names]
        return files


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    found, n = 0, 0
    for rel in tracked(root):
        path = os.path.join(root, rel)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        if b"\0" in data[:8192]:
            continue
        n += 1
        for i, line in enumerate(data.split(b"\n"), 1):
            if MARKER.match(line):
                print(f"{rel}:{i}: merge conflict marker")
                found += 1
    if found:
        return 1
    print(f"{n} files, no merge conflict marker")
    return 0


if __name__ == "__main__":
    sys.exit(main())
