#!/usr/bin/python3
"""Connections spread over the worker threads: those that come one at a time, while the
daemon is idle, as well as a burst; `status`, `/metrics` and `switchboardctl status`
show what each worker holds, and the counts go back to nothing when they close."""

import os
import signal
import sys
import threading
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import ctlutil  # noqa: E402

suite = h.Suite('spread over worker threads')


def held(ctl):
    return [w['connections'] for w in ctl.call('status')['workers']]


def start(t, threads, **extra):
    port, mport = h.free_port(), h.free_port()
    d = t.daemon(h.policy([h.tls_listener('tls', port, h.localhost_pair())],
        [h.route('echo', 'builtin:echo', path='/echo')], metrics='127.0.0.1:%d' % mport,
        **extra), args=['--threads', str(threads)])
    return d, port, mport


def worker_gauges(mport):
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % mport, timeout=5) as r:
        text = r.read().decode()
    return [int(line.rsplit(' ', 1)[1]) for line in text.splitlines()
        if line.startswith('switchboard_worker_connections{')]


@suite.case('tunnels opened one at a time on an idle daemon go to both workers')
def _(t):
    d, port, mport = start(t, 2)
    ctl = t.control(d)
    # the harness's readiness probe was a connection too: wait until it is gone
    h.wait_for(lambda: held(ctl) == [0, 0], h.scaled(10), 'nothing held at the start')
    conns = []
    for i in range(40):
        conn = t.tunnel(port, '/echo', tls=True)
        conn.sendall(b'x')
        h.check_eq(conn.recv_exact(1), b'x', 'echo through tunnel %d' % i)
        conns.append(conn)
    counts = held(ctl)
    h.check_eq(sum(counts), 40, 'every tunnel counted once: %r' % counts)
    h.check(abs(counts[0] - counts[1]) <= 2, 'the two workers hold about as many: %r' % counts)
    h.check_eq(worker_gauges(mport), counts, 'switchboard_worker_connections')
    h.check_in('workers:  %d | %d connections' % tuple(counts), ctlutil.ctl(d, 'status').out,
        'switchboardctl status')
    for conn in conns:
        conn.close()
    h.wait_for(lambda: held(ctl) == [0, 0], h.scaled(10), 'the counts to go back to 0')
    d.stop()


@suite.case('a burst of connections is spread too; one worker holds them all when alone')
def _(t):
    for threads in (2, 1):
        d, port, mport = start(t, threads)
        ctl = t.control(d)
        h.wait_for(lambda: sum(held(ctl)) == 0, h.scaled(10), 'nothing held at the start')
        conns, errors, lock = [], [], threading.Lock()

        def one():
            try:
                conn = h.connect(port, tls=True)
                resp = h.upgrade(conn, '/echo')
                with lock:
                    conns.append(conn)
                    if resp.status != 101:
                        errors.append(resp.status)
            except Exception as e:  # noqa: BLE001 - reported below
                with lock:
                    errors.append(repr(e))

        threads_ = [threading.Thread(target=one) for _ in range(60)]
        for th in threads_:
            th.start()
        for th in threads_:
            th.join(h.scaled(30))
        h.check_eq(errors, [], 'every upgrade of the burst answered 101')
        counts = held(ctl)
        h.check_eq(sum(counts), 60, 'every connection counted once: %r' % counts)
        if threads == 2:
            h.check(min(counts) >= 20, 'neither worker left nearly idle: %r' % counts)
        else:
            h.check_eq(counts, [60], 'one worker holds all')
        for conn in conns:
            conn.close()
        h.wait_for(lambda: sum(held(ctl)) == 0, h.scaled(10), 'the counts to go back to 0')
        d.stop()


@suite.case('a daemon stopped while connections are handed between workers exits cleanly')
def _(t):
    d, port, _ = start(t, 2, limits={'drain_timeout_s': 1})
    stop = threading.Event()
    conns, lock = [], threading.Lock()

    def keep_connecting():
        while not stop.is_set():
            try:
                conn = h.connect(port, tls=True, timeout=2)
                with lock:
                    conns.append(conn)
            except OSError:
                return  # the daemon stopped listening

    workers = [threading.Thread(target=keep_connecting) for _ in range(8)]
    for w in workers:
        w.start()
    h.wait_for(lambda: len(conns) >= 100, h.scaled(20), '100 connections to be open')
    d.signal(signal.SIGTERM)
    d.expect_exit(0, h.scaled(20))
    stop.set()
    for w in workers:
        w.join(h.scaled(10))
    for conn in conns:
        conn.close()


if __name__ == '__main__':
    suite.run()
