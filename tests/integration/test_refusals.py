#!/usr/bin/python3
"""Every refusal is an HTTP answer with its reason in the body, on plain and TLS listeners:
404, 403, 426, 400, 502, 503; and the daemon keeps serving afterwards."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('refusals')
KINDS = ((None, 'plain'), (True, 'TLS'))


def setup(t):
    echo = t.backend(h.EchoBackend)
    dead = h.free_port()
    tls_port, plain_port = h.free_port(), h.free_port()
    d = t.daemon(h.policy(
        [h.tls_listener('tls', tls_port, h.localhost_pair()),
         h.plain_listener('plain', plain_port)],
        [h.route('echo', echo, path='/echo', upgrade='sb-echo'),
         h.route('denied', echo, path='/denied', allow=['10.0.0.0/8', '::1/128']),
         h.route('dead', dead, path='/dead'),
         h.route('one', echo, path='/one', max_connections=1)]))
    return d, {None: plain_port, True: tls_port}


def refused(t, port, tls, status, reason_words, **kw):
    """Sends one request; checks the status, the body's reason, and that the socket closes."""
    conn = t.connect(port, tls=tls)
    resp = h.upgrade(conn, **kw)
    what = '%s %s' % (kw.get('path'), 'TLS' if tls else 'plain')
    h.check_eq(resp.status, status, 'status for %s' % what)
    body = resp.body.decode(errors='replace')
    h.check(body.startswith('%d ' % status), '%s: body %r starts with the status' % (what, body))
    for w in reason_words:
        h.check_in(w, body, '%s: reason in the body' % what)
    h.check_in('close', (resp.header('Connection') or '').lower(), 'Connection header')
    conn.wait_eof(5)
    conn.close()
    return resp


def echo_works(t, port, tls, path='/echo', token='sb-echo'):
    conn = t.tunnel(port, path, token, tls=tls)
    conn.sendall(b'still here')
    h.check_eq(conn.recv_exact(10), b'still here', 'echo through a new tunnel')
    conn.close()


@suite.case('404: no route for the path')
def _(t):
    d, ports = setup(t)
    for tls, name in KINDS:
        refused(t, ports[tls], tls, 404, ['no route', '/nothing'], path='/nothing',
            token='sb-echo')
    d.stop()


@suite.case('403: allow list without 127.0.0.1')
def _(t):
    d, ports = setup(t)
    for tls, name in KINDS:
        refused(t, ports[tls], tls, 403, ['not allowed', 'denied'], path='/denied')
    d.stop()


@suite.case('426: no Upgrade header; the answer names the routed token')
def _(t):
    d, ports = setup(t)
    for tls, name in KINDS:
        resp = refused(t, ports[tls], tls, 426, ['upgrade'], path='/echo', token=None,
            connection=None)
        h.check_in('sb-echo', resp.header('Upgrade') or '', 'Upgrade header of the 426')
    d.stop()


@suite.case('426: an Upgrade token the path does not route; the answer names the routed one')
def _(t):
    d, ports = setup(t)
    for tls, name in KINDS:
        resp = refused(t, ports[tls], tls, 426, ['not routed'], path='/echo',
            token='other/1.0')
        h.check_in('sb-echo', resp.header('Upgrade') or '', 'Upgrade header of the 426')
    d.stop()


@suite.case('426: Upgrade offered but Connection lacks the upgrade token')
def _(t):
    d, ports = setup(t)
    for tls, name in KINDS:
        for connection in (None, 'keep-alive', 'upgraded'):
            resp = refused(t, ports[tls], tls, 426, ['Connection'], path='/echo',
                token='sb-echo', connection=connection)
            h.check_in('sb-echo', resp.header('Upgrade') or '', 'Upgrade header of the 426')
    d.stop()


@suite.case('426: HTTP/1.0 upgrade attempt')
def _(t):
    d, ports = setup(t)
    for tls, name in KINDS:
        refused(t, ports[tls], tls, 426, ['HTTP/1.1'], path='/echo', token='sb-echo',
            version='HTTP/1.0')
    d.stop()


@suite.case('400: malformed Upgrade token list')
def _(t):
    d, ports = setup(t)
    for tls, name in KINDS:
        for token in (',/x', 'a b', 'sb-echo/'):
            refused(t, ports[tls], tls, 400, ['Upgrade'], path='/echo', token=token)
    d.stop()


@suite.case('400: upgrade request with a body')
def _(t):
    d, ports = setup(t)
    for tls, name in KINDS:
        refused(t, ports[tls], tls, 400, ['body'], path='/echo', token='sb-echo',
            body=b'hello')
    d.stop()


@suite.case('502: dead backend port, and the daemon keeps serving')
def _(t):
    d, ports = setup(t)
    for tls, name in KINDS:
        for _ in range(3):
            refused(t, ports[tls], tls, 502, ['unreachable'], path='/dead')
        echo_works(t, ports[tls], tls)
    d.stop()


@suite.case('503: route max_connections 1 with one live tunnel')
def _(t):
    d, ports = setup(t)
    for tls, name in KINDS:
        first = t.tunnel(ports[tls], '/one', tls=tls)
        refused(t, ports[tls], tls, 503, ['full'], path='/one')
        first.sendall(b'ping')
        h.check_eq(first.recv_exact(4), b'ping', 'the live tunnel still works')
        first.close()

        def admitted():
            conn = h.connect(ports[tls], tls=tls)
            try:
                return h.upgrade(conn, '/one').status == 101
            finally:
                conn.close()
        h.wait_for(admitted, 5, 'the route to admit a tunnel again', interval=0.1)
        # The probe's own tunnel closes on the daemon's side a moment later: wait for it,
        # or the next round's first tunnel finds the route still full.
        ctl = t.control(d)
        h.wait_for(lambda: ctl.call('connections.list') == [], 5, 'the probe tunnel to close')
        ctl.close()
    d.stop()


@suite.case('503: daemon-wide limits.max_connections 1 with one live tunnel (plain)')
def _(t):
    echo = t.backend(h.EchoBackend)
    port = h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('echo', echo, path='/echo')], limits={'max_connections': 1}))

    def admitted():
        """A tunnel once the daemon has room (closed connections leave it a moment later)."""
        conn = t.connect(port)
        if h.upgrade(conn, '/echo').status == 101:
            return conn
        conn.close()
        return None
    first = h.wait_for(admitted, 5, 'a first tunnel to be admitted', interval=0.1)
    conn = t.connect(port)
    resp = h.read_response(conn)
    h.check_eq(resp.status, 503, 'status past the daemon-wide limit')
    h.check_in('limit', resp.body.decode(errors='replace'), 'the reason')
    conn.wait_eof(5)
    first.sendall(b'ping')
    h.check_eq(first.recv_exact(4), b'ping', 'the live tunnel still works')
    first.close()
    h.wait_for(admitted, 5, 'the daemon to admit a tunnel again', interval=0.1).close()
    d.stop()


suite.run()
