#!/usr/bin/python3
"""connections.get and switchboardctl connection ID: one live connection in detail; its TLS
facts (version, cipher, SNI, ALPN) over TLS and none on plain, the chosen subprotocol, the
WebSocket messages and pings each way with the last round trip, bytes, age and idle time;
-32002 for an id that is not live."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlutil as cu  # noqa: E402
import harness as h  # noqa: E402
import wsutil as w  # noqa: E402

suite = h.Suite('detail')


def setup(t):
    return w.ws_daemon(t, [
        w.ws_route('chat', 'builtin:echo', '/chat', subprotocols=['chat.v2'],
            ping_interval_s=1),
        h.route('raw', 'builtin:echo', path='/raw')])


def only_id(ctl):
    h.wait_for(lambda: len(ctl.call('connections.list')) == 1, 5, 'one tunnel')
    return ctl.call('connections.list')[0]['id']


@suite.case('a WebSocket over TLS: TLS facts, subprotocol, messages, pings and their round trip')
def websocket_tls(t):
    d, ports = setup(t)
    ctl = t.control(d)
    ws = w.open_ws(t, ports[True], '/chat', tls=h.TlsOpts(alpn=['http/1.1']),
        protocols='chat.v2', chosen='chat.v2')
    for i in range(3):
        ws.sendall(b'message %d' % i)
        h.check_eq(ws.recv_exact(9), b'message %d' % i, 'echo %d' % i)
    ws.send_frame(w.OP_PING, b'hi')
    cid = only_id(ctl)
    # the daemon pings every second; WsConn answers while it reads
    deadline = time.monotonic() + h.scaled(10)
    while True:
        got = ctl.call('connections.get', {'id': cid})
        if got['websocket']['ping_rtt_ms'] is not None and got['websocket']['pings_up'] == 1:
            break
        h.check(time.monotonic() < deadline, 'no ping round trip within 10 s: %r' % got)
        ws.settimeout(0.2)
        try:
            ws.recv()
        except TimeoutError:
            pass
    listed = [c for c in ctl.call('connections.list') if c['id'] == cid][0]
    for k, v in listed.items():
        if k not in ('bytes_up', 'bytes_down'):
            h.check_eq(got[k], v, 'list field %s' % k)
    h.check_eq(got['listener'], 'tls', 'listener')
    h.check_eq(got['route'], 'chat', 'route')
    h.check_eq(got['tls']['version'], 'TLS1.3', 'TLS version')
    h.check(got['tls']['cipher'], 'a cipher: %r' % got['tls'])
    h.check_eq(got['tls']['sni'], 'localhost', 'SNI')
    h.check_eq(got['tls']['alpn'], 'http/1.1', 'ALPN')
    h.check_eq(got['subprotocol'], 'chat.v2', 'subprotocol')
    wsf = got['websocket']
    h.check_eq(wsf['messages_up'], 3, 'messages up')
    h.check(wsf['messages_down'] >= 3, 'messages down: %r' % wsf)
    h.check(wsf['pings_down'] >= 1 and ws.pings >= 1, 'pings down: %r, answered %d' % (
        wsf, ws.pings))
    h.check(0 <= wsf['ping_rtt_ms'] < h.scaled(5) * 1000, 'round trip: %r' % wsf)
    h.check_eq((got['bytes_up'], got['bytes_down']), (27, 27), 'bytes')
    h.check(0 <= got['age_s'] <= got['age_s'] and got['idle_s'] <= got['age_s'] + 1,
        'age %r idle %r' % (got['age_s'], got['idle_s']))

    r = cu.ctl(d, 'connection', str(cid)).expect(cu.OK)
    h.check(re.search(r'^connection %d$' % cid, r.out, re.M), 'title: %r' % r.out)
    for pattern in (r'^route: +chat \(websocket\)$', r'^listener: +tls$',
            r'^tls: +TLS1\.3 \S+, sni localhost, alpn http/1\.1$', r'^subprotocol: +chat\.v2$',
            r'^messages: +3 up, \d+ down$', r'^bytes: +27B up, 27B down$',
            r'^pings: +1 from the client, \d+ to it \(last round trip \d+ ms\)$',
            r'^age: +\d+s \(idle \d+s\)$'):
        h.check(re.search(pattern, r.out, re.M), '%s in %r' % (pattern, r.out))
    j = cu.ctl(d, '--json', 'connection', str(cid)).expect(cu.OK).json()
    h.check_eq((j['id'], j['subprotocol']), (cid, 'chat.v2'), '--json')


@suite.case('a raw tunnel on plain: tls, subprotocol and websocket are null; idle time grows')
def plain_tunnel(t):
    d, ports = setup(t)
    ctl = t.control(d)
    conn = t.tunnel(ports[None], '/raw')
    conn.sendall(b'ping')
    h.check_eq(conn.recv_exact(4), b'ping', 'echo')
    cid = only_id(ctl)
    h.wait_for(lambda: ctl.call('connections.get', {'id': cid})['idle_s'] >= 2,
        h.scaled(10), 'idle_s counts up while nothing moves')
    got = ctl.call('connections.get', {'id': cid})
    h.check_eq((got['tls'], got['subprotocol'], got['websocket']), (None, None, None),
        'nulls on a plain tunnel')
    h.check_eq((got['listener'], got['mode'], got['bytes_up']), ('plain', 'tunnel', 4),
        'fields')
    h.check(got['age_s'] >= got['idle_s'], 'age %d >= idle %d' % (got['age_s'], got['idle_s']))
    conn.sendall(b'more')
    conn.recv_exact(4)
    h.wait_for(lambda: ctl.call('connections.get', {'id': cid})['idle_s'] < 2, 5,
        'idle_s starts over when bytes move')
    r = cu.ctl(d, 'connection', str(cid)).expect(cu.OK)
    h.check(re.search(r'^tls: +none \(plain\)$', r.out, re.M), 'plain: %r' % r.out)
    h.check('messages:' not in r.out, 'no WebSocket lines on a tunnel: %r' % r.out)


@suite.case('an unknown id is -32002, like connections.close; bad params are -32602')
def unknown(t):
    d, ports = setup(t)
    ctl = t.control(d)
    cu.call_error(ctl, 'connections.get', {'id': 987654}, -32002, 'unknown id')
    cu.call_error(ctl, 'connections.get', {'id': 'x'}, -32602, 'a string id')
    cu.call_error(ctl, 'connections.get', None, -32602, 'no params')
    r = cu.ctl(d, 'connection', '987654').expect(cu.REFUSED)
    h.check_in('no such connection: 987654', r.err, 'CLI message')
    cu.ctl(d, 'connection', 'abc').expect(cu.REFUSED)
    cu.ctl(d, 'connection').expect(cu.REFUSED)


if __name__ == '__main__':
    suite.run()
