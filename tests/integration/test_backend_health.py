#!/usr/bin/python3
"""Active health checks: a server that stops is marked down after `fall` checks and gets
no new tunnels, and is up again after `rise` once it is back, without a reload; send and
expect; first checks spread over the interval; checks follow a reload."""

import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('backend health checks')


class Server:
    """
    A TCP server on a port it can leave and take again. answer: None sends the
    server's name then echoes (tunnels); bytes answers the first read with them (checks).
    Every accept is timed.
    """

    def __init__(self, name, port=None, answer=None):
        self.name = name.encode()
        self.answer = answer
        self.accepts = []
        self.lock = threading.Lock()
        self.port = port or h.free_port()
        self.lsock = None
        self.up()

    def up(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', self.port))
        s.listen(64)
        self.lsock = s
        threading.Thread(target=self._loop, args=(s,), daemon=True).start()

    def down(self):
        s, self.lsock = self.lsock, None
        if s is not None:
            s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _loop(self, lsock):
        while True:
            try:
                c, _ = lsock.accept()
            except OSError:
                return
            with self.lock:
                self.accepts.append(time.monotonic())
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            with c:
                c.settimeout(10)
                if self.answer is not None:
                    if c.recv(1024):
                        c.sendall(self.answer)
                    return
                c.sendall(self.name + b'\n')
                while True:
                    d = c.recv(65536)
                    if not d:
                        return
                    c.sendall(d)
        except OSError:
            pass

    def times(self):
        with self.lock:
            return list(self.accepts)


def start(t, servers, health, **backend):
    port = h.free_port()
    b = {'servers': ['127.0.0.1:%d' % s.port for s in servers], 'health': health}
    b.update(backend)
    d = t.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('pool', b, path='/p')]))
    return d, port


def who(t, port):
    conn = t.tunnel(port, '/p')
    line = b''
    while not line.endswith(b'\n'):
        line += conn.recv_exact(1)
    conn.close()
    return line.decode().strip()


def states(ctl):
    return {r['address']: r for r in ctl.call('backends.list')}


def stop_servers(t, servers):
    t.on_cleanup(lambda: [s.down() for s in servers])


@suite.case('fall checks mark a stopped server down; rise checks bring it back, no reload',
    timeout=120)
def _(t):
    a, b = Server('a'), Server('b')
    stop_servers(t, [a, b])
    addr_b = '127.0.0.1:%d' % b.port
    d, port = start(t, [a, b], {'interval_s': 1, 'timeout_ms': 500, 'rise': 2, 'fall': 2})
    ctl = t.control(d)
    ctl.subscribe()
    rev = ctl.call('policy.get')['revision']
    h.check_eq({who(t, port) for _ in range(4)}, {'a', 'b'}, 'both serve at first')
    b.down()
    started = time.monotonic()
    ev = ctl.wait_event('backend.state', timeout=h.scaled(8), route='pool', address=addr_b)
    took = time.monotonic() - started
    h.check_eq(ev['state'], 'down', 'the event says down')
    h.check_in('check', ev['reason'], 'the reason names the check: %r' % ev)
    # Two failed checks a second apart, or one check and a refused tunnel: never at once.
    h.check(took >= 0.5, 'down only after fall checks, took %.2f s' % took)
    row = states(ctl)[addr_b]
    h.check_eq(row['state'], 'down', 'listed down')
    h.check_in('refused', row['last_error'], 'last_error: %r' % row)
    h.check(row['last_check'], 'last_check set: %r' % row)
    h.check_eq({who(t, port) for _ in range(6)}, {'a'}, 'no new tunnel goes to a down server')
    h.check_eq(states(ctl)['127.0.0.1:%d' % a.port]['state'], 'up', 'a stays up')

    b.up()
    started = time.monotonic()
    ev = ctl.wait_event('backend.state', timeout=h.scaled(8), route='pool', address=addr_b)
    took = time.monotonic() - started
    h.check_eq(ev['state'], 'up', 'the event says up')
    h.check_in('checks pass', ev['reason'], 'the reason')
    h.check(took >= 0.5, 'up only after rise checks, took %.2f s' % took)
    h.check_eq({who(t, port) for _ in range(6)}, {'a', 'b'}, 'b takes tunnels again')
    h.check_eq(ctl.call('policy.get')['revision'], rev, 'no reload happened')
    ctl.close()
    d.stop()


@suite.case('send and expect: PONG keeps a server up, a wrong answer marks it down')
def _(t):
    good = Server('good', answer=b'PONG and more\r\n')
    bad = Server('bad', answer=b'PANG\r\n')
    stop_servers(t, [good, bad])
    d, port = start(t, [good, bad], {'interval_s': 1, 'timeout_ms': 500, 'rise': 1,
        'fall': 2, 'send': 'PING\r\n', 'expect': 'PONG'})
    ctl = t.control(d)
    addr_good, addr_bad = '127.0.0.1:%d' % good.port, '127.0.0.1:%d' % bad.port
    h.wait_for(lambda: states(ctl)[addr_bad]['state'] == 'down', h.scaled(8),
        'the wrong answer marks bad down')
    h.wait_for(lambda: len(good.times()) >= 2, h.scaled(4), 'good checked twice')
    rows = states(ctl)
    h.check_eq(rows[addr_bad]['last_error'], 'check: unexpected answer', 'why')
    h.check_eq(rows[addr_good]['state'], 'up', 'PONG keeps good up')
    h.check_eq(rows[addr_good]['failures'], 0, 'good never failed a check')
    ctl.close()
    d.stop()

    # A server that never answers fails by timeout_ms.
    silent = socket.socket()
    silent.bind(('127.0.0.1', 0))
    silent.listen(8)
    t.on_cleanup(silent.close)
    addr = '127.0.0.1:%d' % silent.getsockname()[1]
    port = h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)], [h.route('pool', {
        'servers': [addr], 'health': {'interval_s': 1, 'timeout_ms': 300, 'fall': 1,
            'send': 'PING\r\n', 'expect': 'PONG'}}, path='/p')]))
    ctl = t.control(d)
    h.wait_for(lambda: states(ctl)[addr]['state'] == 'down', h.scaled(8), 'silent marked down')
    h.check_eq(states(ctl)[addr]['last_error'], 'check: no answer in time', 'why')
    conn = t.connect(port)
    resp = h.upgrade(conn, path='/p')
    h.check_eq(resp.status, 502, 'no server up: 502')
    h.check_in('no backend server of route pool is up', resp.body.decode(), 'body')
    conn.close()
    ctl.close()
    d.stop()


@suite.case('first checks spread over the interval; then one per server per interval',
    timeout=90)
def _(t):
    servers = [Server('s%d' % i, answer=b'') for i in range(10)]
    stop_servers(t, servers)
    started = time.monotonic()
    d, port = start(t, servers, {'interval_s': 2, 'timeout_ms': 1000})
    time.sleep(4.6)
    firsts = []
    for s in servers:
        ts = s.times()
        h.check(len(ts) >= 1, 'server %s checked' % s.name)
        firsts.append(ts[0])
        h.check(2 <= len(ts) <= 3, 'server %s: %d checks in 4.6 s at 2 s each' % (s.name, len(ts)))
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        h.check(all(1.5 <= g <= 2.5 for g in gaps), 'server %s keeps its phase: %r' %
            (s.name, gaps))
    spread = max(firsts) - min(firsts)
    # Ten checks at once would land within a few milliseconds of each other.
    h.check(spread >= 0.5, 'first checks spread over %.3f s of the 2 s interval' % spread)
    h.check(min(firsts) - started < 3.5, 'first checks within the first interval')
    d.stop()


@suite.case('checks follow a reload: state kept, removed servers no longer checked')
def _(t):
    a, b = Server('a'), Server('b')
    stop_servers(t, [a, b])
    addr_a, addr_b = '127.0.0.1:%d' % a.port, '127.0.0.1:%d' % b.port
    health = {'interval_s': 1, 'timeout_ms': 500, 'rise': 5, 'fall': 1}
    d, port = start(t, [a, b], health)
    ctl = t.control(d)
    b.down()
    h.wait_for(lambda: states(ctl)[addr_b]['state'] == 'down', h.scaled(6), 'b down')
    pol = json.load(open(d.policy_path))
    pol['routes'][0]['backend']['balance'] = 'first'
    rev = ctl.call('policy.get')['revision']
    ctl.call('policy.apply', {'policy': pol, 'revision': rev, 'persist': False})
    h.check_eq(states(ctl)[addr_b]['state'], 'down', 'a reload keeps b down')
    h.check_eq({who(t, port) for _ in range(3)}, {'a'}, 'tunnels still avoid b')

    pol['routes'][0]['backend']['servers'] = [addr_b]
    del pol['routes'][0]['backend']['health']
    ctl.call('policy.apply', {'policy': pol, 'revision': rev + 1, 'persist': False})
    h.wait_for(lambda: states(ctl)[addr_b]['state'] == 'up', h.scaled(3),
        'without checks nothing could bring b back: it is up again')
    before = len(a.times())
    time.sleep(2.5)
    h.check_eq(len(a.times()), before, 'a, removed, is no longer checked')
    ctl.close()
    d.stop()


if __name__ == '__main__':
    suite.run()
