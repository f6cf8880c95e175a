#!/usr/bin/python3
"""Half-close in both directions, plain and TLS: a tunnel ends only when both directions are
done, and nothing buffered is dropped."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

UP = 3 << 20       # client to backend before the client's EOF
REPLY = 2 << 20    # backend to client after that EOF
DOWN = 3 << 20     # backend to client before the backend's EOF
LATE = 1 << 20     # client to backend after the backend's EOF

suite = h.Suite('half-close')


def setup(t, backend):
    tls_port, plain_port = h.free_port(), h.free_port()
    d = t.daemon(h.policy(
        [h.tls_listener('tls', tls_port, h.localhost_pair()),
         h.plain_listener('plain', plain_port)],
        [h.route('b', backend, path='/b')]))
    return d, {None: plain_port, True: tls_port}


def reply_after_eof(rec):
    return ('got %d %s\n' % (rec.count, rec.digest())).encode() + h.pattern_bytes(REPLY, 11)


def client_shuts_first(t, tls):
    backend = t.backend(h.HalfCloseBackend, reply_after_eof)
    d, ports = setup(t, backend)
    conn = t.tunnel(ports[tls], '/b', tls=tls)
    for c in h.pattern_chunks(UP, 10):
        conn.sendall(c)
    conn.shutdown_write()
    rec = backend.wait_record(0, timeout=20)
    h.check(rec.eof, 'the backend saw EOF')
    h.check_eq(rec.count, UP, 'bytes the backend got before EOF')
    h.check_eq(rec.digest(), h.pattern_sha256(UP, 10), 'SHA-256 of what the backend got')
    want = ('got %d %s\n' % (UP, h.pattern_sha256(UP, 10))).encode() + h.pattern_bytes(REPLY, 11)
    got = conn.recv_all(2 * len(want))
    h.check_eq(len(got), len(want), 'length of the reply sent after the client\'s EOF')
    h.check(got == want, 'the reply arrived intact')
    if tls:
        h.check(conn.got_close_notify, 'the tunnel ended with a TLS close_notify')
    d.stop()


@suite.case('client shuts write first, plain: backend EOF after exactly the bytes, reply arrives')
def _(t):
    client_shuts_first(t, None)


@suite.case('client shuts write first (close_notify), TLS: backend EOF, reply arrives')
def _(t):
    client_shuts_first(t, True)


def backend_shuts_first(t, tls):
    backend = t.backend(h.SourceBackend, DOWN, 20)
    d, ports = setup(t, backend)
    conn = t.tunnel(ports[tls], '/b', tls=tls)
    got = conn.recv_all(2 * DOWN)
    h.check_eq(len(got), DOWN, 'bytes before EOF')
    h.check(got == h.pattern_bytes(DOWN, 20), 'the backend\'s bytes arrived intact')
    if tls:
        h.check(conn.got_close_notify, 'the backend\'s EOF came as a TLS close_notify')
    for c in h.pattern_chunks(LATE, 21):
        conn.sendall(c)
    conn.shutdown_write()
    rec = backend.wait_record(0, timeout=20)
    h.check(rec.eof, 'the backend saw the client\'s EOF')
    h.check_eq(rec.count, LATE, 'bytes the client sent after the backend\'s EOF')
    h.check_eq(rec.digest(), h.pattern_sha256(LATE, 21), 'SHA-256 of them')
    d.stop()


@suite.case('backend shuts write first, plain: client gets all then EOF and can still send')
def _(t):
    backend_shuts_first(t, None)


@suite.case('backend shuts write first, TLS: client gets all then EOF and can still send')
def _(t):
    backend_shuts_first(t, True)


suite.run()
