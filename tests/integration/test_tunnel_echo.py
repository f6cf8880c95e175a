#!/usr/bin/python3
"""Tunnel mode moves bytes exactly: 64 MiB echoed on one tunnel, 50 tunnels at once, an upload;
each worker loop parses its own requests."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

BIG = 64 << 20
EACH = 4 << 20
PARALLEL = 50

suite = h.Suite('tunnel echo')


def echo_daemon(t, args=()):
    echo = t.backend(h.EchoBackend)
    tls_port, plain_port = h.free_port(), h.free_port()
    d = t.daemon(h.policy(
        [h.tls_listener('tls', tls_port, h.localhost_pair()),
         h.plain_listener('plain', plain_port)],
        [h.route('echo', echo, path='/echo', upgrade='sb-echo')]), args=args)
    return d, echo, tls_port, plain_port


def one_tunnel(port, tls, total, seed):
    conn = h.connect(port, tls=tls)
    try:
        resp = h.upgrade(conn, '/echo', 'sb-echo')
        h.check_eq(resp.status, 101, 'status of the upgrade')
        got, sent_sha, back_sha = h.echo_roundtrip(conn, total, seed)
        h.check_eq(got, total, 'bytes echoed')
        h.check_eq(back_sha, sent_sha, 'SHA-256 of the echo')
        conn.shutdown_write()
        conn.wait_eof(10)
    finally:
        conn.close()
    return got


def big_echo(t, tls):
    d, echo, tls_port, plain_port = echo_daemon(t)
    one_tunnel(tls_port if tls else plain_port, tls, BIG, 1)
    rec = echo.wait_record(0)
    h.check(rec.eof, 'backend saw EOF after the client shut its side')
    h.check_eq(rec.count, BIG, 'bytes the backend got')
    d.stop()


@suite.case('64 MiB echo, plain, SHA-256 checked', timeout=120)
def _(t):
    big_echo(t, tls=False)


@suite.case('64 MiB echo, TLS, SHA-256 checked', timeout=180)
def _(t):
    big_echo(t, tls=True)


def parallel_echo(t, tls):
    d, echo, tls_port, plain_port = echo_daemon(t)
    port = tls_port if tls else plain_port
    h.run_threads(one_tunnel, [(port, tls, EACH, 100 + i) for i in range(PARALLEL)], 150)
    h.wait_for(lambda: echo.accepted() == PARALLEL, 5, '%d backend connections' % PARALLEL)
    for i in range(PARALLEL):
        rec = echo.wait_record(i)
        h.check_eq(rec.count, EACH, 'bytes backend connection %d got' % i)
    d.stop()


@suite.case('%d concurrent tunnels x %d MiB echo, plain' % (PARALLEL, EACH >> 20), timeout=180)
def _(t):
    parallel_echo(t, tls=False)


@suite.case('%d concurrent tunnels x %d MiB echo, TLS' % (PARALLEL, EACH >> 20), timeout=180)
def _(t):
    parallel_echo(t, tls=True)


def thread_names(pid):
    names = []
    for tid in os.listdir('/proc/%d/task' % pid):
        try:
            with open('/proc/%d/task/%s/comm' % (pid, tid)) as f:
                names.append(f.read().strip())
        except FileNotFoundError:
            pass  # the thread ended meanwhile
    return sorted(names)


@suite.case('two worker loops, each runs its own libmicrohttpd: no MHD thread, 40 tunnels at once',
    timeout=180)
def _(t):
    d, echo, tls_port, plain_port = echo_daemon(t, args=['--threads', '2'])
    h.run_threads(one_tunnel, [(plain_port if i % 2 else tls_port, None if i % 2 else True,
        64 << 10, 300 + i) for i in range(40)], 150)
    names = thread_names(d.proc.pid)
    h.check('sbd-worker-0' in names and 'sbd-worker-1' in names, 'two worker loops: %r' % names)
    h.check(not [n for n in names if n.startswith('MHD')],
        'no libmicrohttpd thread (requests are parsed on their loops): %r' % names)
    h.wait_for(lambda: echo.accepted() == 40, 5, '40 backend connections')
    d.stop()


@suite.case('16 MiB upload to a hashing sink, TLS and plain', timeout=120)
def _(t):
    sink = t.backend(h.SinkBackend)
    tls_port, plain_port = h.free_port(), h.free_port()
    d = t.daemon(h.policy(
        [h.tls_listener('tls', tls_port, h.localhost_pair()),
         h.plain_listener('plain', plain_port)],
        [h.route('sink', sink, path='/sink')]))
    total = 16 << 20
    want = h.pattern_sha256(total, 5)
    for port, tls in ((plain_port, None), (tls_port, True)):
        conn = t.tunnel(port, '/sink', tls=tls)
        for c in h.pattern_chunks(total, 5):
            conn.sendall(c)
        conn.shutdown_write()
        answer = conn.recv_all(1024).decode()
        h.check_eq(answer, '%s %d\n' % (want, total), 'the sink\'s digest and count')
        conn.close()
    d.stop()


suite.run()
