#!/usr/bin/python3
"""What a strict server refuses, against the real daemon (libmicrohttpd takes all of it):
two Host headers, none in HTTP/1.1, a bare CR or an obs-fold line (which reached the tls
mode's replay), an invalid header field, dot-segments and an encoded / in the path: 400,
and no backend hears of it. match.path matches at a segment boundary: a route for /tun
takes /tun, /tun/... and /tun?..., never /tunX."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('strict HTTP')

UPGRADE = 'Connection: Upgrade\r\nUpgrade: sb-test\r\n'
TLS_UPGRADE = 'Connection: Upgrade\r\nUpgrade: TLS/1.0\r\n'


def setup(t):
    """A tunnel route for /tun on one listener, a tls-mode route on another."""
    tun_backend = t.backend(h.RecordBackend, echo=True)
    tls_backend = t.backend(h.RecordBackend)
    ports = {'plain': h.free_port(), 'ipp': h.free_port()}
    pair = h.shared_ca().issue('upgrade.test', dns=['localhost'], name='strict-route')
    d = t.daemon(h.policy(
        [h.plain_listener('plain', ports['plain']), h.plain_listener('ipp', ports['ipp'])],
        [h.route('tun', tun_backend, path='/tun', upgrade='sb-test', listeners=['plain']),
         h.route('ipp', tls_backend, upgrade='TLS/1.0', mode='tls', listeners=['ipp'],
             tls={'cert': pair.cert, 'key': pair.key})]))
    return d, ports, tun_backend, tls_backend


def ask(t, port, raw):
    conn = t.connect(port)
    conn.sendall(raw)
    resp = h.read_response(conn)
    conn.close()
    return resp


def expect_400(t, port, raw, reason, what):
    resp = ask(t, port, raw)
    h.check_eq(resp.status, 400, 'status for %s (body %r)' % (what, resp.body))
    h.check_in(reason, resp.body.decode('utf-8'), 'the reason for %s' % what)


def head(target, *lines, method='GET', version='HTTP/1.1', upgrade=UPGRADE):
    return ('%s %s %s\r\n' % (method, target, version) + ''.join(l + '\r\n' for l in lines)
        + upgrade + '\r\n').encode('latin-1')


def no_backend_heard(*backends):
    for b in backends:
        h.check_eq(b.accepted(), 0, 'connections the backend got')


@suite.case('Host: two of them, or none in HTTP/1.1: 400')
def _(t):
    d, ports, tun, tls = setup(t)
    expect_400(t, ports['plain'], head('/tun', 'Host: a.example', 'Host: b.example'),
        'more than one Host header', 'two Host headers')
    expect_400(t, ports['plain'], head('/tun', 'Host: a.example', 'host: a.example'),
        'more than one Host header', 'the same Host twice')
    expect_400(t, ports['plain'], head('/tun'), 'needs a Host header', 'no Host')
    no_backend_heard(tun, tls)
    h.check_eq(ask(t, ports['plain'], head('/tun', 'Host: a.example')).status, 101,
        'status with one Host')


@suite.case('a bare CR, obs-fold, invalid fields: 400, nothing replayed to the backend')
def _(t):
    d, ports, tun, tls = setup(t)
    cases = [
        ('X-A: one\rX-Injected: two', 'a bare CR in the request head'),
        ('X-A: one\r\r\nX-B: two', 'a bare CR in the request head'),
        ('X-A: one\r\n two', 'an obs-fold line continuation'),
        ('X-A: one\r\n\tX-Injected: two', 'an obs-fold line continuation'),
        ('X-A : one', 'malformed header field'),
        ('X-A: o\x1bne', 'malformed header field'),
        ('X-A: one\x7f', 'malformed header field'),
    ]
    for line, reason in cases:
        raw = head('*', 'Host: localhost', line, method='OPTIONS', upgrade=TLS_UPGRADE)
        expect_400(t, ports['ipp'], raw, reason, repr(line))
        raw = head('/tun', 'Host: localhost', line)
        expect_400(t, ports['plain'], raw, reason, repr(line) + ' on /tun')
    no_backend_heard(tun, tls)


@suite.case('dot-segments and an encoded / in the path: 400, also percent-encoded')
def _(t):
    d, ports, tun, tls = setup(t)
    for target in ('/tun/../x', '/tun/./x', '/tun/..', '/tun/%2e%2e/x', '/tun/.%2E',
            '/x/../tun'):
        expect_400(t, ports['plain'], head(target, 'Host: localhost'), 'a dot-segment',
            target)
    for target in ('/tun%2Fx', '/tun%2fx'):
        expect_400(t, ports['plain'], head(target, 'Host: localhost'), 'an encoded /', target)
    expect_400(t, ports['plain'], head('/tun%00/../x', 'Host: localhost'), 'an encoded NUL',
        'an encoded NUL')
    expect_400(t, ports['plain'], head('/tun%zz', 'Host: localhost'), 'a malformed %-escape',
        'a malformed escape')
    no_backend_heard(tun, tls)


@suite.case('match.path at a segment boundary: /tun, /tun/..., /tun?... but not /tunX')
def _(t):
    d, ports, tun, tls = setup(t)
    for target in ('/tunX', '/tunnel', '/tun.x', '/tu'):
        resp = ask(t, ports['plain'], head(target, 'Host: localhost'))
        h.check_eq(resp.status, 404, 'status for %s (body %r)' % (target, resp.body))
    no_backend_heard(tun)
    for target in ('/tun', '/tun/', '/tun/x/y', '/tun?x=/../y', '/t%75n/x'):
        conn = t.connect(ports['plain'])
        conn.sendall(head(target, 'Host: localhost'))
        resp = h.read_response(conn)
        h.check_eq(resp.status, 101, 'status for %s (body %r)' % (target, resp.body))
        conn.sendall(b'ping')
        h.check_eq(conn.recv_exact(4), b'ping', 'echo through %s' % target)
        conn.close()


suite.run()
