#!/usr/bin/env python3
"""check_function_length.py - no function of the delivery path is too long.

Usage: check_function_length.py [SOURCE_ROOT]   (default: the tree this script is in)

A function body is the lines between a "{" at column 0 and the next "}" at
column 0, both excluded (the project's style puts a function's braces
there). Prints one line per body longer than LIMIT lines in the .c files of
CHECKED and exits 1, else a summary and exits 0.
"""
import os
import re
import sys

LIMIT = 60
CHECKED = ["agent/delivery", "agent/smtp", "agent/tls", "agent/plan",
           "agent/dns", "agent/report", "agent/sts", "agent/https", "agent/lmtp",
           "agent/cli/cmd_deliver.c", "agent/cli/cmd_serve.c", "agent/cli/serve_conn.c"]

NAME = re.compile(r"(\w+)\s*\(")


def checked_files(root):
    """The repository-relative paths of the .c files to check."""
    found = []
    for entry in CHECKED:
        if entry.endswith(".c"):
            found.append(entry)
            continue
        for name in sorted(os.listdir(os.path.join(root, entry))):
            if name.endswith(".c"):
                found.append(entry + "/" + name)
    return found


def function_name(header):
    """The name declared by the lines before a body: the first "name(" in them."""
    match = NAME.search(" ".join(header))
    return match.group(1) if match else "?"


def declares(line):
    """Whether a line outside a body may belong to a function's declarator."""
    text = line.strip()
    return bool(text) and not text.startswith("#") and not text.endswith((";", "*/"))


def bodies(lines):
    """(name, line of the "{", body length) of each function body in lines."""
    found, header, opened = [], [], None
    for number, line in enumerate(lines, 1):
        if opened is None and line.startswith("{"):
            opened = number
        elif opened is not None and line.startswith("}"):
            found.append((function_name(header), opened, number - opened - 1))
            opened, header = None, []
        elif opened is None:
            header = header + [line] if declares(line) else []
    return found


def main():
    """Check every file, print the long bodies or a summary; the exit status."""
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(here)
    long_ones, count = [], 0
    for path in checked_files(root):
        with open(os.path.join(root, path), encoding="utf-8") as source:
            found = bodies(source.read().split("\n"))
        count += len(found)
        long_ones += [(path, *body) for body in found if body[2] > LIMIT]
    for path, name, number, length in long_ones:
        print("%s:%d: %s() is %d lines long (limit %d)" % (path, number, name, length, LIMIT))
    if long_ones:
        return 1
    print("%d functions, none longer than %d lines" % (count, LIMIT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
