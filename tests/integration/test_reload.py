#!/usr/bin/python3
"""SIGHUP: a changed policy takes effect and live tunnels keep running; an invalid file is
refused with its errors logged and the running policy stays."""

import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('reload')


def setup(t):
    echo_a = t.backend(h.EchoBackend)
    echo_b = t.backend(h.EchoBackend)
    ports = {None: h.free_port(), True: h.free_port()}
    listeners = [h.tls_listener('tls', ports[True], h.localhost_pair()),
        h.plain_listener('plain', ports[None])]
    old = h.policy(listeners, [h.route('a', echo_a, path='/a')])
    new = h.policy(listeners, [h.route('b', echo_b, path='/b')])
    d = t.daemon(old)
    return d, ports, old, new, echo_a, echo_b


def status_of(t, port, tls, path):
    conn = h.connect(port, tls=tls)
    try:
        return h.upgrade(conn, path).status
    finally:
        conn.close()


def ping(conn, data):
    conn.sendall(data)
    h.check_eq(conn.recv_exact(len(data)), data, 'echo on a tunnel opened before the reload')


@suite.case('SIGHUP with a changed policy: new route served, live tunnels kept (plain and TLS)')
def _(t):
    d, ports, old, new, echo_a, echo_b = setup(t)
    live = {tls: t.tunnel(ports[tls], '/a', tls=tls) for tls in (None, True)}
    for tls in live:
        ping(live[tls], b'before')
    d.write_policy(new)
    d.signal(signal.SIGHUP)
    h.wait_for(lambda: status_of(t, ports[None], None, '/b') == 101, 5, 'route /b after SIGHUP')
    for tls in (None, True):
        h.check_eq(status_of(t, ports[tls], tls, '/b'), 101, 'the new route /b')
        h.check_eq(status_of(t, ports[tls], tls, '/a'), 404, 'the removed route /a')
        ping(live[tls], b'after the reload')
        ping(live[tls], h.pattern_bytes(1 << 20, 4))
    conn = t.tunnel(ports[True], '/b', tls=True)
    ping(conn, b'new route')
    h.check(echo_b.accepted() >= 1, 'the new route reaches its own backend')
    for c in list(live.values()) + [conn]:
        c.close()
    d.stop()


@suite.case('SIGHUP with an invalid file keeps the old policy; the log says refused')
def _(t):
    d, ports, old, new, echo_a, echo_b = setup(t)
    live = t.tunnel(ports[None], '/a')
    bad_route = dict(new)
    bad_route['routes'] = [h.route('b', '127.0.0.1:0', path='/b')]
    bad_key = dict(new)
    bad_key['routez'] = []
    for what, text, words in (
            ('a syntax error', '{"version": 1, "listeners": [', None),
            ('backend port 0', bad_route, 'routes[0].backend'),
            ('an unknown key', bad_key, 'routez')):
        since = d.log_size()
        d.write_policy(text)
        d.signal(signal.SIGHUP)
        m = d.wait_log(r'reload refused[^\n]*', since=since)
        if words:
            h.check_in(words, m.group(0), 'the refusal logged for %s' % what)
        for tls in (None, True):
            h.check_eq(status_of(t, ports[tls], tls, '/a'), 101, 'old route after %s' % what)
            h.check_eq(status_of(t, ports[tls], tls, '/b'), 404, 'no new route after %s' % what)
        ping(live, what.encode())
    # The old file back, with a change: a reload works again after refusals.
    d.write_policy(new)
    d.signal(signal.SIGHUP)
    h.wait_for(lambda: status_of(t, ports[None], None, '/b') == 101, 5, 'route /b after SIGHUP')
    live.close()
    d.stop()


@suite.case('SIGHUP adds a listener on a new port and removes one')
def _(t):
    d, ports, old, new, echo_a, echo_b = setup(t)
    port3 = h.free_port()
    grown = h.policy([h.tls_listener('tls', ports[True], h.localhost_pair()),
        h.plain_listener('third', port3)], new['routes'])
    d.write_policy(grown)
    d.signal(signal.SIGHUP)

    def third_serves():
        try:
            return status_of(t, port3, None, '/b') == 101
        except OSError:
            return False
    h.wait_for(third_serves, 5, 'the new listener to serve /b')
    h.wait_for(lambda: h.refuses(ports[None]), 5, 'the removed listener\'s port to close')
    h.check_eq(status_of(t, ports[True], True, '/b'), 101, 'the kept TLS listener')
    d.stop()


suite.run()
