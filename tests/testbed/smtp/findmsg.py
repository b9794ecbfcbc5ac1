#!/usr/bin/env python3
"""findmsg.py MAILDIR_ROOT (--message-id ID | --subject TEXT) [--to RCPT] [--wait SECONDS]

Prints the path of every delivered message under MAILDIR_ROOT/<maildir>/{new,cur}
whose Message-ID (angle brackets optional) or Subject equals the argument and,
with --to, whose Delivered-To: (added by virtual(8)) is RCPT.
Exit 0 when at least one is found, 1 when none is found before the deadline
(virtual(8) delivers after smtpd's 250, so tests wait a bounded time).
"""
import argparse
import email.parser
import email.policy
import pathlib
import sys
import time


def matches(path, args):
    with open(path, "rb") as f:
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parse(f)
    if args.to is not None and (headers.get("Delivered-To") or "").strip() != args.to:
        return False
    if args.message_id is not None:
        want = args.message_id.strip().strip("<>")
        got = (headers.get("Message-ID") or "").strip().strip("<>")
        return got == want
    return (headers.get("Subject") or "").strip() == args.subject


def search(root, args):
    found = []
    for sub in ("new", "cur"):
        for path in sorted(root.glob("*/" + sub + "/*")):
            if path.is_file() and matches(path, args):
                found.append(path)
    return found


def main():
    p = argparse.ArgumentParser()
    p.add_argument("root", type=pathlib.Path)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--message-id")
    g.add_argument("--subject")
    p.add_argument("--to")
    p.add_argument("--wait", type=float, default=0.0)
    args = p.parse_args()
    deadline = time.monotonic() + args.wait
    while True:
        found = search(args.root, args)
        if found or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    for path in found:
        print(path)
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main())
