#!/usr/bin/python3
"""Bytes a client sends right behind its request, before the 101 arrives, reach the backend
first and intact: small and large, plain and TLS, with and without the client's EOF."""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('early (pipelined) bytes')


def setup(t, backend):
    tls_port, plain_port = h.free_port(), h.free_port()
    d = t.daemon(h.policy(
        [h.tls_listener('tls', tls_port, h.localhost_pair()),
         h.plain_listener('plain', plain_port)],
        [h.route('rec', backend, path='/rec', upgrade='sb-rec')]))
    return d, {None: plain_port, True: tls_port}


def pipelined_small(t, tls):
    rec_backend = t.backend(h.RecordBackend, echo=True)
    d, ports = setup(t, rec_backend)
    early = b'EARLY\x00\xffbytes sent before the 101\r\n\r\nGET / HTTP/1.1\r\n\r\n'
    conn = t.connect(ports[tls], tls=tls)
    resp = h.upgrade(conn, '/rec', 'sb-rec', early=early)
    h.check_eq(resp.status, 101, 'status')
    h.check_eq(conn.recv_exact(len(early)), early, 'the echo of the early bytes')
    conn.sendall(b'late')
    h.check_eq(conn.recv_exact(4), b'late', 'the echo of later bytes')
    conn.shutdown_write()
    conn.wait_eof(10)
    rec = rec_backend.wait_record(0)
    h.check_eq(bytes(rec.data), early + b'late', 'what the backend got, in order')
    d.stop()


@suite.case('early bytes right behind the request, plain')
def _(t):
    pipelined_small(t, None)


@suite.case('early bytes right behind the request, TLS')
def _(t):
    pipelined_small(t, True)


def pipelined_big(t, tls):
    """1 MiB behind the request and then EOF, all before reading the 101."""
    total = 1 << 20
    rec_backend = t.backend(h.RecordBackend, limit=2 * total)
    d, ports = setup(t, rec_backend)
    payload = h.pattern_bytes(total, 3)
    conn = t.connect(ports[tls], tls=tls)
    request = h.upgrade_request('/rec', 'sb-rec')
    errors = []

    def send_all():
        # TLS: the writer owns the session until it is done, then the reader takes it.
        try:
            conn.sendall(request + payload)
            conn.shutdown_write()
        except Exception as e:
            errors.append(repr(e))
    if tls:
        send_all()
    else:
        writer = threading.Thread(target=send_all, daemon=True)
        writer.start()
    resp = h.read_response(conn)
    h.check_eq(resp.status, 101, 'status')
    if not tls:
        writer.join(30)
        h.check(not writer.is_alive(), 'the writer finished')
    h.check(not errors, 'sending failed: %s' % errors)
    rec = rec_backend.wait_record(0, timeout=20)
    h.check(rec.eof, 'the backend saw the client\'s EOF')
    h.check_eq(rec.count, total, 'bytes the backend got')
    h.check(bytes(rec.data) == payload, 'the backend got the early bytes intact and in order')
    h.check_eq(conn.wait_eof(10) >= 0, True, 'the client sees EOF after the backend closes')
    d.stop()


@suite.case('1 MiB and EOF before the 101, plain')
def _(t):
    pipelined_big(t, None)


@suite.case('1 MiB and EOF before the 101, TLS')
def _(t):
    pipelined_big(t, True)


@suite.case('early bytes, 200 runs in a row, plain', timeout=120)
def _(t):
    rec_backend = t.backend(h.RecordBackend, echo=True)
    d, ports = setup(t, rec_backend)
    for i in range(200):
        early = ('run %d: ' % i).encode() + h.pattern_bytes(1000 + i * 37, i)
        conn = h.connect(ports[None])
        try:
            resp = h.upgrade(conn, '/rec', 'sb-rec', early=early)
            h.check_eq(resp.status, 101, 'status of run %d' % i)
            h.check(conn.recv_exact(len(early)) == early, 'echo of run %d intact' % i)
        finally:
            conn.close()
    d.stop()


suite.run()
