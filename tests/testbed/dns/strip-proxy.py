#!/usr/bin/env python3
"""strip-proxy.py LISTEN_ADDR UPSTREAM_ADDR PIDFILE - a DNS-over-UDP proxy on
LISTEN_ADDR:53 that removes the EDNS OPT record (and with it the DO bit) from
every query before forwarding it to UPSTREAM_ADDR:53: the upstream then answers
without RRSIGs, as a DNSSEC-stripping middlebox would. For the capability
check test only; it exits after 120 s in any case."""
import socket
import struct
import sys
import os
import time


def question_end(msg):
    """offset just past the first question (uncompressed name), or None"""
    i = 12
    while i < len(msg):
        n = msg[i]
        if n == 0:
            return i + 1 + 4
        if n & 0xC0:
            return None
        i += 1 + n
    return None


def strip(query):
    if len(query) < 12 or struct.unpack("!H", query[4:6])[0] != 1:
        return query
    end = question_end(query)
    if end is None or end > len(query):
        return query
    # QDCOUNT 1, ANCOUNT/NSCOUNT/ARCOUNT 0: no OPT, so no DO bit
    return query[:4] + struct.pack("!HHHH", 1, 0, 0, 0) + query[12:end]


def main():
    listen, upstream, pidfile = sys.argv[1], sys.argv[2], sys.argv[3]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((listen, 53))
    with open(pidfile, "w") as f:
        f.write("%d\n" % os.getpid())
    deadline = time.monotonic() + 120
    sock.settimeout(1)
    while time.monotonic() < deadline:
        try:
            query, client = sock.recvfrom(4096)
        except socket.timeout:
            continue
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.settimeout(2)
        try:
            up.sendto(strip(query), (upstream, 53))
            reply, _ = up.recvfrom(65535)
            sock.sendto(reply, client)
        except socket.timeout:
            pass
        finally:
            up.close()


if __name__ == "__main__":
    main()
