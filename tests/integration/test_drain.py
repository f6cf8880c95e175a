#!/usr/bin/python3
"""SIGTERM drains: no new connections, live tunnels keep working, exit 0 once they are done;
limits.drain_timeout_s cuts what is left; a second SIGINT exits at once."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('drain')


def setup(t, drain_timeout):
    echo = t.backend(h.EchoBackend)
    ports = {None: h.free_port(), True: h.free_port()}
    d = t.daemon(h.policy(
        [h.tls_listener('tls', ports[True], h.localhost_pair()),
         h.plain_listener('plain', ports[None])],
        [h.route('echo', echo, path='/echo')],
        limits={'drain_timeout_s': drain_timeout}))
    return d, echo, ports


def ping(conn, data, what):
    conn.sendall(data)
    h.check_eq(conn.recv_exact(len(data)), data, what)


@suite.case('SIGTERM: live tunnels keep working, new connections refused, exit 0 when done')
def _(t):
    d, echo, ports = setup(t, 60)
    live = {tls: t.tunnel(ports[tls], '/echo', tls=tls) for tls in (None, True)}
    d.signal(signal.SIGTERM)
    for tls in (None, True):
        h.wait_for(lambda: h.refuses(ports[tls]), 3, 'port %d to refuse connections' % ports[tls])
    for tls, conn in live.items():
        ping(conn, b'draining', 'echo during the drain')
        got, sent_sha, back_sha = h.echo_roundtrip(conn, 4 << 20, 9)
        h.check_eq(back_sha, sent_sha, 'SHA-256 of 4 MiB echoed during the drain')
    time.sleep(1)
    h.check(d.alive(), 'the daemon waits for its tunnels')
    live[None].close()
    time.sleep(0.5)
    h.check(d.alive(), 'the daemon waits for its last tunnel')
    ping(live[True], b'last one', 'echo on the last tunnel')
    live[True].shutdown_write()
    live[True].wait_eof(5)
    d.expect_exit(0, 5)


@suite.case('SIGTERM with drain_timeout_s 1: an idle tunnel is cut and the daemon exits')
def _(t):
    d, echo, ports = setup(t, 1)
    live = {tls: t.tunnel(ports[tls], '/echo', tls=tls) for tls in (None, True)}
    ping(live[True], b'x', 'echo before SIGTERM')
    start = time.monotonic()
    d.signal(signal.SIGTERM)
    for tls, conn in live.items():
        conn.wait_eof(6)
    h.check(time.monotonic() - start >= 0.8, 'tunnels cut only after the drain timeout')
    d.expect_exit(0, 5)
    for i in range(2):
        h.check(echo.wait_record(i, timeout=5).eof, 'backend connection %d closed' % i)


@suite.case('SIGTERM with nothing open: exit 0 at once')
def _(t):
    d, echo, ports = setup(t, 30)
    start = time.monotonic()
    d.signal(signal.SIGTERM)
    d.expect_exit(0, 5)
    h.check(time.monotonic() - start < h.scaled(3), 'exited within %.0f s' % h.scaled(3))


@suite.case('SIGINT twice: exit at once although a tunnel is open')
def _(t):
    d, echo, ports = setup(t, 60)
    conn = t.tunnel(ports[None], '/echo')
    d.signal(signal.SIGINT)
    time.sleep(0.5)
    h.check(d.alive(), 'the first SIGINT drains like SIGTERM')
    ping(conn, b'still', 'echo after the first SIGINT')
    d.signal(signal.SIGINT)
    d.expected_exit = True
    rc = d.wait_exit(3)
    h.check(rc is not None, 'the daemon exits within %.0f s of the second SIGINT' % h.scaled(3))
    h.check(rc >= 0, 'the daemon exits normally, not by signal %d' % -rc)
    conn.wait_eof(5)


suite.run()
