#!/usr/bin/python3
"""A route's idle_timeout_s closes a tunnel nobody uses, and only such a tunnel."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('idle timeout')


def setup(t, idle):
    echo = t.backend(h.EchoBackend)
    tls_port, plain_port = h.free_port(), h.free_port()
    d = t.daemon(h.policy(
        [h.tls_listener('tls', tls_port, h.localhost_pair()),
         h.plain_listener('plain', plain_port)],
        [h.route('short', echo, path='/short', idle_timeout_s=idle),
         h.route('long', echo, path='/long')]))
    return d, echo, {None: plain_port, True: tls_port}


@suite.case('idle_timeout_s 1 closes an idle tunnel, plain and TLS; the backend sees it too')
def _(t):
    d, echo, ports = setup(t, 1)
    for i, tls in enumerate((None, True)):
        conn = t.tunnel(ports[tls], '/short', tls=tls)
        conn.sendall(b'hello')
        h.check_eq(conn.recv_exact(5), b'hello', 'echo before going idle')
        waited = conn.wait_eof(6)
        h.check(waited >= 0.8, 'closed after %.2f s, before the 1 s idle timeout' % waited)
        rec = echo.wait_record(i, timeout=5)
        h.check(rec.eof, 'the backend connection was closed as well')
    d.stop()


@suite.case('a tunnel with traffic outlives its idle timeout; another route\'s does too')
def _(t):
    d, echo, ports = setup(t, 1)
    busy = t.tunnel(ports[None], '/short')
    other = t.tunnel(ports[True], '/long', tls=True)
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < 3.0:
        busy.sendall(b'%d;' % n)
        h.check_eq(busy.recv_exact(len(b'%d;' % n)), b'%d;' % n, 'echo %d on the busy tunnel' % n)
        n += 1
        time.sleep(0.3)
    other.sendall(b'idle but long')
    h.check_eq(other.recv_exact(13), b'idle but long', 'the long-timeout tunnel after 3 s idle')
    waited = busy.wait_eof(6)
    h.check(waited >= 0.8, 'the busy tunnel closed %.2f s after its last byte' % waited)
    other.close()
    d.stop()


suite.run()
