#!/usr/bin/env python3
"""peer.py - a scripted SMTP server for faults a real server cannot produce.

Usage: peer.py --addr 127.0.26.N --port PORT --scenario NAME --dir DIR
               [--cert CERT --key KEY | --key-type ec|rsa | --anonymous]
               [--tls-max 1.2|1.3] [--ciphers OPENSSL-LIST] [--dh]
               [--connections N] [--record-all] [--record-resumption]
               [--reply-lines N] [--reply-line-length N]
               [--discard-data] [--size-limit N]

Listens on ADDR:PORT (never a wildcard address), writes DIR/ready once
listening, serves N connections (default 1) one after the other, then exits.
Every command received is appended to DIR/commands (one line each, after
"TLS" once the handshake completed) and the DATA content, as received and
before un-stuffing, to DIR/data. With --record-resumption, each TLS
handshake appends "new" or "resumed" (RFC 8446 §2.2: the client's ticket
or session id was accepted) to DIR/tls-sessions. Without --cert, STARTTLS uses a fresh
self-signed certificate (--key-type: ECDSA P-256, default, or RSA 2048) made
with the openssl CLI. --anonymous serves no certificate at all (anonymous DH
suites only, OpenSSL security level 0); --dh loads the RFC 7919 ffdhe2048
group for TLS 1.2 DHE suites; --ciphers restricts the TLS 1.2 suites (e.g.
"AES256-GCM-SHA384" for static RSA key exchange only).

--record-all also writes (for tests/security/):
  DIR/peer-cred   how the client connected, read from /proc at accept time:
                  "socket-uid U" (owner of the client's TCP socket, from
                  /proc/net/tcp{,6}), and for the process holding it
                  "pid P", "uid R E S F", "gid R E S F", "groups G..."
                  (the Uid/Gid/Groups lines of /proc/P/status)
  DIR/data-raw    the DATA bytes exactly as received, up to and including
                  the line the peer took as the end of data
  DIR/sni         the server name the client sent (empty: none)
  DIR/pre-tls     bytes the client sent after STARTTLS and before its TLS
                  ClientHello (a client must wait for the 220; absent: none)
--discard-data keeps no DATA content (nor data-raw): DIR/data-summary gets
"bytes N" and "sha256 HEX" of what DIR/data would have held, computed in
constant memory, for messages of any size. --size-limit N is the SIZE the
EHLO reply announces (default 1000000; 0: "SIZE" without a limit, RFC 1870
§4).
--reply-lines N sets the line count of many-lines (default 1000),
--reply-line-length N the long line of long-reply (default 5000).

Scenarios (python3 standard library only):
  ok                  ESMTP with STARTTLS, PIPELINING, SIZE, 8BITMIME,
                      ENHANCEDSTATUSCODES; accepts everything
  no-starttls         as ok without STARTTLS
  smtputf8            as ok, also offers SMTPUTF8
  no-8bitmime         as ok without 8BITMIME
  size-limit          announces SIZE 10
  no-ehlo             502 to EHLO, 250 to HELO, no extensions
  drop-STAGE          closes the connection instead of answering: STAGE is
                      greeting, ehlo, starttls, handshake, ehlo-tls, mail,
                      rcpt, data, dot
  garbage-greeting    a greeting that is not an SMTP reply
  421-greeting        421 4.3.2 greeting, then closes
  554-greeting        554 5.7.1 greeting, then waits for QUIT
  long-reply          an EHLO reply line of 5000 bytes (--reply-line-length)
  many-lines          an EHLO reply of 1000 lines (--reply-lines)
  inject              "220 Ready to start TLS" followed, in the same
                      segment, by a plaintext "250 injected" reply
  421-rcpt            421 to the second RCPT TO, then closes
  drip                the greeting one byte every 0.25 s
  mixed-rcpt          recipients starting with "temp" get 450 4.2.0,
                      "perm" get 550 5.1.1, others 250
  no-dot-reply        never answers the end of data
  dot-4xx             451 4.3.0 to the end of data
  dot-5xx             554 5.7.1 to the end of data
  starttls-454        454 to STARTTLS
  requiretls          as ok, and offers REQUIRETLS over TLS (RFC 8689 §2)
  requiretls-plain    offers REQUIRETLS before STARTTLS only
Replies out of step (RFC 5321 §4.2, RFC 2920 §3), each ending the data
with 554 5.7.1 so that a client that takes the early reply is caught:
  early-dot-reply     "354" and "250 queued early" in one segment to DATA
  reply-during-body   "250 queued early" after the first body line, then
                      reads nothing for 1 s (small receive buffer: the
                      client is still sending when the reply arrives)
  surplus-ehlo        an extra "250 2.0.0 surplus" line after the EHLO reply,
                      in the same segment
  data-250            250 to DATA
  dot-354             354 to the end of data
  rcpt-354            354 to RCPT TO
  554-ehlo-helo       554 5.7.1 to EHLO and to HELO
  no-quit-reply       accepts the message, never answers QUIT
  early-before-dot    "250 queued early" on the body line "hello", before the
                      end of data (the client sees it after the dot)
  dot-surplus         "250 queued" and "554 5.7.1 rejected" to the end of data,
                      in one segment
  tls-ehlo-554        554 5.7.1 to EHLO after STARTTLS
  quit-554            accepts the message, then 554 5.7.1 to QUIT (the reply
                      a client took for the end of data came early)
  full-ehlo           an EHLO reply of 3 lines of 102 octets (a client
                      buffer of 3 x 100-octet lines is exactly full), then
                      "250 2.0.0 surplus" in the same segment
  rset-close          250 to RSET, then closes the connection (a kept
                      connection the server has given up)
  rset-chatter        250 to RSET, then 0.2 s later an unasked "250 2.0.0
                      unasked" (a kept connection out of step)
  reuse-421           421 4.4.2 to the second MAIL of a connection, which
                      it closes (a server that gave up a kept connection)
  rset-554            accepts the message, then 554 5.7.1 to RSET (as
                      quit-554, for a client that keeps the connection)
Every scenario answers RSET with 250 unless it says otherwise.
"""
import argparse
import hashlib
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

EHLO_OK = ["mx.peer.test", "PIPELINING", "SIZE 1000000", "STARTTLS",
           "ENHANCEDSTATUSCODES", "8BITMIME"]


class Session:
    def __init__(self, sock, args, tls_ctx):
        self.sock = sock
        self.args = args
        self.tls_ctx = tls_ctx
        self.scenario = args.scenario
        self.buf = b""
        self.tls = False
        self.rcpts = 0
        self.mails = 0
        self.raw = None         # bytearray while DATA is recorded raw

    def log(self, line):
        with open(os.path.join(self.args.dir, "commands"), "a") as f:
            f.write(line + "\n")

    def send(self, data):
        self.sock.sendall(data)

    def reply(self, code, lines):
        out = b""
        for i, text in enumerate(lines):
            sep = " " if i == len(lines) - 1 else "-"
            out += ("%d%s%s\r\n" % (code, sep, text)).encode()
        self.send(out)

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        if self.raw is not None:
            self.raw += line + b"\n"
        return line.rstrip(b"\r")

    def drops(self, stage):
        return self.scenario == "drop-" + stage

    def ehlo_lines(self):
        lines = list(EHLO_OK)
        if self.scenario == "no-starttls" or self.tls:
            lines.remove("STARTTLS")
        size = "SIZE %d" % self.args.size_limit if self.args.size_limit else "SIZE"
        if self.scenario == "reply-during-body":
            size = "SIZE 100000000"
        if self.scenario == "size-limit":
            size = "SIZE 10"
        lines[lines.index("SIZE 1000000")] = size
        if self.scenario == "smtputf8":
            lines.append("SMTPUTF8")
        if self.scenario == "no-8bitmime":
            lines.remove("8BITMIME")
        if (self.scenario == "requiretls" and self.tls) or (
                self.scenario == "requiretls-plain" and not self.tls):
            lines.append("REQUIRETLS")
        if self.scenario == "long-reply":
            lines.insert(1, "X" * self.args.reply_line_length)
        if self.scenario == "many-lines":
            lines[1:1] = ["X-%d" % i for i in range(self.args.reply_lines)]
        return lines

    def greeting(self):
        if self.drops("greeting"):
            return False
        if self.scenario == "421-greeting":
            self.reply(421, ["4.3.2 mx.peer.test Service shutting down"])
            return False
        if self.scenario == "554-greeting":
            self.reply(554, ["5.7.1 mx.peer.test No SMTP service here"])
            return True
        if self.scenario == "garbage-greeting":
            self.send(b"hello, this is not SMTP\r\n")
            return True
        if self.scenario == "drip":
            for b in b"220 mx.peer.test ESMTP\r\n":
                self.send(bytes([b]))
                time.sleep(0.25)
            return True
        self.reply(220, ["mx.peer.test ESMTP peer.py"])
        return True

    def starttls(self):
        if self.drops("starttls"):
            return False
        if self.scenario == "starttls-454":
            self.reply(454, ["4.7.0 TLS not available"])
            return True
        if self.scenario == "inject":
            self.send(b"220 2.0.0 Ready to start TLS\r\n250 2.0.0 injected\r\n")
        else:
            self.reply(220, ["2.0.0 Ready to start TLS"])
        if self.drops("handshake"):
            return False
        if self.args.record_all:
            self.record_pre_tls()
        # RFC 3207 §4.2: the server discards what it buffered before TLS too
        self.buf = b""
        try:
            self.sock = self.tls_ctx.wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.log("TLS-FAILED %s" % e)
            return False
        self.tls = True
        self.log("TLS %s %s" % (self.sock.version(), self.sock.cipher()[0]))
        if self.args.record_resumption:
            with open(os.path.join(self.args.dir, "tls-sessions"), "a") as f:
                f.write("resumed\n" if self.sock.session_reused else "new\n")
        return True

    def record_pre_tls(self):
        """Bytes sent after STARTTLS that are not a TLS handshake record."""
        early = self.buf
        self.sock.settimeout(5)
        try:
            peek = self.sock.recv(4096, socket.MSG_PEEK)
        except OSError:
            peek = b""
        self.sock.settimeout(None)
        if peek[:1] != b"\x16":        # TLS record type 22: handshake
            early += peek
        if early:
            with open(os.path.join(self.args.dir, "pre-tls"), "wb") as f:
                f.write(early)

    def discard_data(self):
        """--discard-data: byte count and SHA-256 of the content DIR/data
        would hold (up to and including the CRLF before the final dot),
        keeping at most one received chunk and four bytes."""
        digest, count = hashlib.sha256(), 0
        # window[:done] is hashed already, or the virtual CRLF before line 1
        window, done = b"\r\n" + self.buf, 2
        end = window.find(b"\r\n.\r\n")
        while end < 0:
            keep = max(len(window) - 4, done)   # the tail may begin the end
            digest.update(window[done:keep])
            count += keep - done
            cut = len(window) - 4 if len(window) > 4 else 0
            window, done = window[cut:], keep - cut
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return False
            window += chunk
            end = window.find(b"\r\n.\r\n")
        digest.update(window[done:end + 2])
        count += max(end + 2 - done, 0)
        self.buf = window[end + 5:]
        with open(os.path.join(self.args.dir, "data-summary"), "w") as f:
            f.write("bytes %d\nsha256 %s\n" % (count, digest.hexdigest()))
        return True

    def data(self):
        if self.drops("data"):
            return False
        if self.scenario == "data-250":
            self.reply(250, ["2.0.0 Ok: queued as EARLY"])
            return True
        if self.scenario == "early-dot-reply":
            self.send(b"354 End data with <CR><LF>.<CR><LF>\r\n"
                      b"250 2.0.0 Ok: queued early\r\n")
        else:
            self.reply(354, ["End data with <CR><LF>.<CR><LF>"])
        if self.args.discard_data:
            return self.end_of_data() if self.discard_data() else False
        content = b""
        self.raw = bytearray()
        while True:
            line = self.readline()
            if line is None:
                return False
            if line == b".":
                break
            if self.scenario == "reply-during-body" and not content:
                self.reply(250, ["2.0.0 Ok: queued early"])
                time.sleep(1)
            if self.scenario == "early-before-dot" and line == b"hello":
                self.reply(250, ["2.0.0 Ok: queued early"])
            content += line + b"\r\n"
        with open(os.path.join(self.args.dir, "data"), "wb") as f:
            f.write(content)
        if self.args.record_all:
            with open(os.path.join(self.args.dir, "data-raw"), "wb") as f:
                f.write(self.raw)
        self.raw = None
        return self.end_of_data()

    def end_of_data(self):
        if self.drops("dot"):
            return False
        if self.scenario == "no-dot-reply":
            while self.sock.recv(4096):
                pass
            return False
        if self.scenario == "dot-4xx":
            self.reply(451, ["4.3.0 Error: queue file write error"])
            return True
        if self.scenario == "dot-354":
            self.reply(354, ["End data with <CR><LF>.<CR><LF>"])
            return True
        if self.scenario == "dot-surplus":
            self.send(b"250 2.0.0 Ok: queued\r\n554 5.7.1 Error: rejected\r\n")
            return True
        if self.scenario in ("early-dot-reply", "reply-during-body", "surplus-ehlo",
                             "dot-5xx", "early-before-dot"):
            self.reply(554, ["5.7.1 Error: rejected at end of data"])
            return True
        self.reply(250, ["2.0.0 Ok: queued as PEER1"])
        return True

    def rcpt(self, line):
        self.rcpts += 1
        if self.drops("rcpt"):
            return False
        if self.scenario == "421-rcpt" and self.rcpts == 2:
            self.reply(421, ["4.4.2 mx.peer.test Error: timeout exceeded"])
            return False
        addr = line[8:].lower()
        if self.scenario == "rcpt-354":
            self.reply(354, ["go ahead"])
            return True
        if self.scenario == "mixed-rcpt" and addr.startswith(b"<temp"):
            self.reply(450, ["4.2.0 <%s>: Recipient address rejected: try later"
                             % addr[1:-1].decode()])
        elif self.scenario == "mixed-rcpt" and addr.startswith(b"<perm"):
            self.reply(550, ["5.1.1 <%s>: Recipient address rejected: unknown"
                             % addr[1:-1].decode()])
        else:
            self.reply(250, ["2.1.5 Ok"])
        return True

    def command(self, line):
        verb = line.split(b" ", 1)[0].upper()
        if verb == b"EHLO":
            stage = "ehlo-tls" if self.tls else "ehlo"
            if self.drops(stage):
                return False
            if self.scenario == "no-ehlo":
                self.reply(502, ["5.5.2 Error: command not recognized"])
            elif self.scenario == "554-ehlo-helo" or (self.scenario == "tls-ehlo-554"
                                                      and self.tls):
                self.reply(554, ["5.7.1 Error: you are not welcome"])
            elif self.scenario == "full-ehlo":
                self.send(b"250-" + b"x" * 96 + b"\r\n250-" + b"y" * 96 + b"\r\n250 "
                          + b"z" * 96 + b"\r\n250 2.0.0 surplus\r\n")
            elif self.scenario == "surplus-ehlo" and not self.tls:
                lines = self.ehlo_lines()
                self.send("".join("250-%s\r\n" % l for l in lines[:-1]).encode()
                          + ("250 %s\r\n250 2.0.0 surplus\r\n" % lines[-1]).encode())
            else:
                self.reply(250, self.ehlo_lines())
            return True
        if verb == b"HELO":
            if self.scenario == "554-ehlo-helo":
                self.reply(554, ["5.7.1 Error: you are not welcome"])
            else:
                self.reply(250, ["mx.peer.test"])
            return True
        if verb == b"STARTTLS":
            return self.starttls()
        if verb == b"MAIL":
            if self.drops("mail"):
                return False
            self.mails += 1
            if self.scenario == "reuse-421" and self.mails == 2:
                self.reply(421, ["4.4.2 mx.peer.test Error: timeout exceeded"])
                return False
            self.reply(250, ["2.1.0 Ok"])
            return True
        if verb == b"RCPT":
            return self.rcpt(line)
        if verb == b"DATA":
            return self.data()
        if verb == b"RSET":
            if self.scenario == "rset-554":
                self.reply(554, ["5.7.1 Error: rejected at end of data"])
                return False
            self.reply(250, ["2.0.0 Ok"])
            if self.scenario == "rset-chatter":
                time.sleep(0.2)
                self.send(b"250 2.0.0 unasked\r\n")
            return self.scenario != "rset-close"
        if verb == b"QUIT":
            if self.scenario == "no-quit-reply":
                while self.sock.recv(4096):
                    pass
                return False
            if self.scenario == "quit-554":
                self.reply(554, ["5.7.1 Error: rejected at end of data"])
                return False
            self.reply(221, ["2.0.0 Bye"])
            return False
        self.reply(502, ["5.5.2 Error: command not recognized"])
        return True

    def run(self):
        if not self.greeting():
            return
        while True:
            line = self.readline()
            if line is None:
                return
            self.log(line.decode("utf-8", "replace"))
            if not self.command(line):
                return


def socket_owner(client, server):
    """uid owning the TCP socket client -> server, from /proc/net/tcp{,6}."""
    def hexaddr(addr):
        family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        raw = socket.inet_pton(family, addr[0])
        if family == socket.AF_INET6:      # four host-order 32-bit words
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
        else:
            raw = raw[::-1]
        return "%s:%04X" % (raw.hex().upper(), addr[1])
    want = (hexaddr(client), hexaddr(server))
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in f.readlines()[1:]:
                cols = row.split()
                if (cols[1], cols[2]) == want:
                    return cols[7], cols[9]
    return None, None


def process_of(inode):
    """pid whose descriptor table holds the socket inode, or None."""
    target = "socket:[%s]" % inode
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == target:
                    return pid
            except OSError:
                pass
    return None


def record_peer_cred(conn, directory):
    """DIR/peer-cred: who holds the client end of conn (loopback only)."""
    uid, inode = socket_owner(conn.getpeername()[:2], conn.getsockname()[:2])
    lines = ["socket-uid %s" % uid]
    pid = process_of(inode) if inode is not None else None
    if pid is not None:
        lines.append("pid %s" % pid)
        with open("/proc/%s/status" % pid) as f:
            for row in f:
                key, _, value = row.partition(":")
                if key in ("Uid", "Gid", "Groups"):
                    lines.append("%s %s" % (key.lower() if key != "Groups"
                                            else "groups", " ".join(value.split())))
    with open(os.path.join(directory, "peer-cred"), "w") as f:
        f.write("\n".join(lines) + "\n")


def make_cert(directory, key_type):
    cert = os.path.join(directory, "peer-cert.pem")
    key = os.path.join(directory, "peer-key.pem")
    newkey = (["-newkey", "rsa:2048"] if key_type == "rsa" else
              ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
    subprocess.run(["openssl", "req", "-x509"] + newkey + ["-nodes", "-days", "2",
                    "-subj", "/CN=mx.peer.test", "-addext",
                    "subjectAltName=DNS:mx.peer.test", "-keyout", key,
                    "-out", cert], check=True, capture_output=True)
    return cert, key


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--scenario", default="ok")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--connections", type=int, default=1)
    ap.add_argument("--key-type", choices=["ec", "rsa"], default="ec")
    ap.add_argument("--anonymous", action="store_true")
    ap.add_argument("--tls-max", choices=["1.2", "1.3"], default="1.3")
    ap.add_argument("--ciphers")
    ap.add_argument("--dh", action="store_true")
    ap.add_argument("--record-all", action="store_true")
    ap.add_argument("--record-resumption", action="store_true")
    ap.add_argument("--reply-lines", type=int, default=1000)
    ap.add_argument("--reply-line-length", type=int, default=5000)
    ap.add_argument("--discard-data", action="store_true")
    ap.add_argument("--size-limit", type=int, default=1000000)
    args = ap.parse_args()
    if not args.addr.startswith("127.") and args.addr != "::1":
        sys.exit("peer.py: loopback addresses only")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if args.tls_max == "1.2" or args.anonymous:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if args.anonymous:
        ctx.set_ciphers("aNULL:@SECLEVEL=0")
    else:
        cert, key = ((args.cert, args.key) if args.cert
                     else make_cert(args.dir, args.key_type))
        ctx.load_cert_chain(cert, key)
    if args.ciphers:
        ctx.set_ciphers(args.ciphers)
    if args.dh or args.anonymous:
        dh = os.path.join(args.dir, "peer-dh.pem")
        subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm", "DH",
                        "-pkeyopt", "dh_param:ffdhe2048", "-out", dh],
                       check=True, capture_output=True)
        ctx.load_dh_params(dh)
    if args.record_all:
        def record_sni(sslobj, name, _ctx):
            with open(os.path.join(args.dir, "sni"), "w") as f:
                f.write(name or "")
        ctx.sni_callback = record_sni
    family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    lsock = socket.socket(family, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.scenario == "reply-during-body":
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    lsock.bind((args.addr, args.port))
    lsock.listen(4)
    with open(os.path.join(args.dir, "ready"), "w") as f:
        f.write("%d\n" % os.getpid())
    for _ in range(args.connections):
        conn, _ = lsock.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if args.record_all:
            record_peer_cred(conn, args.dir)
        try:
            Session(conn, args, ctx).run()
        except (OSError, ssl.SSLError) as e:
            Session(conn, args, ctx).log("ERROR %s" % e)
        finally:
            conn.close()
    lsock.close()


if __name__ == "__main__":
    main()
