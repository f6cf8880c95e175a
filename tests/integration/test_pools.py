#!/usr/bin/python3
"""Backend pools: balancing by weight and by connections, failover before the 101, a 502
only when no server answers, a connect that hangs until its deadline, servers set by hand, state kept across a reload, UNIX
socket and host-name servers, backends.list, switchboardctl backends, metrics."""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('backend pools')


class NamedBackend(h.Backend):
    """Answers every connection with its own name, then echoes."""

    def __init__(self, name):
        super().__init__()
        self.name = name.encode()

    def serve(self, sock, rec):
        sock.sendall(self.name + b'\n')
        self.read_to_eof(sock, rec, echo=True)


class UnixEchoBackend:
    """An echo server on a UNIX stream socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(c,), daemon=True).start()

    @staticmethod
    def _echo(c):
        with c:
            while True:
                d = c.recv(65536)
                if not d:
                    return
                c.sendall(d)

    def stop(self):
        self.sock.close()


def start(t, backend, **route_extra):
    port = h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('pool', backend, path='/p', **route_extra)]))
    return d, port


def who(t, port):
    """Opens a tunnel on /p; returns (the backend's name, the open connection)."""
    conn = t.tunnel(port, '/p')
    line = b''
    for _ in range(64):
        c = conn.recv_exact(1)
        if c == b'\n':
            break
        line += c
    return line.decode(), conn


def names(t, port, n):
    out = []
    for _ in range(n):
        name, conn = who(t, port)
        out.append(name)
        conn.close()
    return out


def backends(t, d):
    ctl = t.control(d)
    try:
        return ctl.call('backends.list')
    finally:
        ctl.close()


@suite.case('round robin by weight: 1:2:3 over 60 tunnels, exactly')
def _(t):
    bs = [t.backend(NamedBackend, n) for n in ('a', 'b', 'c')]
    servers = [{'address': '127.0.0.1:%d' % b.port, 'weight': w} for b, w in zip(bs, (1, 2, 3))]
    d, port = start(t, {'servers': servers})
    got = names(t, port, 60)
    h.check_eq({n: got.count(n) for n in 'abc'}, {'a': 10, 'b': 20, 'c': 30}, 'spread')
    rows = {r['address']: r for r in backends(t, d)}
    h.check_eq(sorted(r['total'] for r in rows.values()), [10, 20, 30], 'totals listed')
    h.check(all(r['state'] == 'up' and r['route'] == 'pool' for r in rows.values()),
        'all up: %r' % rows)
    d.stop()


@suite.case('least_connections: the next tunnel goes where the fewest are open')
def _(t):
    a, b = t.backend(NamedBackend, 'a'), t.backend(NamedBackend, 'b')
    d, port = start(t, {'servers': ['127.0.0.1:%d' % a.port, '127.0.0.1:%d' % b.port],
        'balance': 'least_connections'})
    held = []
    first, c1 = who(t, port)
    held.append(c1)
    second, c2 = who(t, port)
    held.append(c2)
    h.check(first != second, 'two tunnels on two servers: %s %s' % (first, second))
    c1.close()
    h.wait_for(lambda: any(r['active'] == 0 for r in backends(t, d)), 5, 'one closed')
    third, c3 = who(t, port)
    h.check_eq(third, first, 'the server whose tunnel closed')
    c2.close()
    c3.close()
    d.stop()


@suite.case('source_hash sticks one client to one server; first takes the first up')
def _(t):
    bs = [t.backend(NamedBackend, n) for n in 'abc']
    addrs = ['127.0.0.1:%d' % b.port for b in bs]
    d, port = start(t, {'servers': addrs, 'balance': 'source_hash'})
    got = names(t, port, 12)
    h.check_eq(len(set(got)), 1, 'one server for one client: %r' % got)
    d.stop()
    d, port = start(t, {'servers': addrs, 'balance': 'first'})
    h.check_eq(set(names(t, port, 5)), {'a'}, 'first')
    d.stop()


@suite.case('failover: a dead server is skipped before the 101; 502 only when none answers')
def _(t):
    live = t.backend(NamedBackend, 'live')
    dead1, dead2 = h.free_port(), h.free_port()
    d, port = start(t, ['127.0.0.1:%d' % dead1, '127.0.0.1:%d' % live.port])
    h.check_eq(set(names(t, port, 6)), {'live'}, 'every tunnel reaches the live server')
    rows = {r['address']: r for r in backends(t, d)}
    dead = rows['127.0.0.1:%d' % dead1]
    h.check(dead['failures'] >= 1 and 'refused' in (dead['last_error'] or ''),
        'the dead server counts its failures: %r' % dead)
    h.check_eq(dead['state'], 'up', 'without checks a server is never marked down')
    d.stop()

    d, port = start(t, ['127.0.0.1:%d' % dead1, '127.0.0.1:%d' % dead2])
    conn = t.connect(port)
    resp = h.upgrade(conn, path='/p')
    h.check_eq(resp.status, 502, 'status when no server answers')
    body = resp.body.decode()
    h.check_in('no backend server of route pool answered (2 tried)', body, 'body')
    h.check('127.0.0.1:%d' % dead1 not in body, 'what was tried is not in the body')
    d.wait_log(r'route pool: no backend server answered: 127\.0\.0\.1:%d \(Connection refused\), '
        r'127\.0\.0\.1:%d' % (dead1, dead2))
    conn.close()
    d.stop()


@suite.case('a server whose connect hangs: 502 at connect_timeout_ms, not before')
def _(t):
    # A listener whose accept queue is full drops the next SYN: the daemon's connect is still
    # going when it asks again at once, and waits for EPOLLOUT until its deadline.
    full = socket.socket()
    t.on_cleanup(full.close)
    full.bind(('127.0.0.1', 0))
    full.listen(0)
    queued = []
    t.on_cleanup(lambda: [q.close() for q in queued])
    for _ in range(2):  # a backlog of 0 queues one; the second hangs already
        q = socket.socket()
        q.setblocking(False)
        queued.append(q)
        q.connect_ex(full.getsockname())
    port = h.free_port()
    hang = '127.0.0.1:%d' % full.getsockname()[1]
    d = t.daemon(h.policy([h.plain_listener('plain', port)], [h.route('pool', hang, path='/p')],
        limits={'connect_timeout_ms': 300}))
    conn = t.connect(port)
    t0 = time.monotonic()
    resp = h.upgrade(conn, path='/p')
    h.check_eq(resp.status, 502, 'status when the connect does not finish')
    h.check(time.monotonic() - t0 >= 0.3, 'the answer waited for the deadline')
    rows = {r['address']: r for r in backends(t, d)}
    h.check('timed out' in (rows[hang]['last_error'] or ''),
        'the server failed by its deadline: %r' % rows[hang])
    d.stop()


@suite.case('backends.set drain and maint: no new tunnels, open ones stay; ready again')
def _(t):
    a, b = t.backend(NamedBackend, 'a'), t.backend(NamedBackend, 'b')
    addr_a = '127.0.0.1:%d' % a.port
    d, port = start(t, [addr_a, '127.0.0.1:%d' % b.port])
    held = []
    for _ in range(2):
        held.append(who(t, port)[1])
    ctl = t.control(d)
    ctl.subscribe()
    ctl.call('backends.set', {'route': 'pool', 'address': addr_a, 'state': 'drain'})
    ev = ctl.wait_event('backend.state', route='pool', address=addr_a)
    h.check_eq(ev['state'], 'drain', 'event state')
    h.check_eq(set(names(t, port, 4)), {'b'}, 'a drained server takes no new tunnel')
    for c in held:
        c.sendall(b'still')
        h.check_eq(c.recv_exact(5), b'still', 'an open tunnel of the drained server flows')
    ctl.call('backends.set', {'route': 'pool', 'address': addr_a, 'state': 'maint'})
    h.check_eq({r['address']: r['state'] for r in ctl.call('backends.list')}[addr_a], 'maint',
        'maint listed')
    ctl.call('backends.set', {'route': 'pool', 'address': addr_a, 'state': 'ready'})
    h.check_eq(set(names(t, port, 4)), {'a', 'b'}, 'ready again: both used')
    for bad in ({'route': 'pool', 'address': '10.9.9.9:1', 'state': 'drain'},
            {'route': 'nope', 'address': addr_a, 'state': 'drain'}):
        try:
            ctl.call('backends.set', bad)
            raise h.Fail('backends.set %r was accepted' % bad)
        except h.Fail as e:
            h.check_in('-32004', str(e), 'no such backend: %s' % e)
    try:
        ctl.call('backends.set', {'route': 'pool', 'address': addr_a, 'state': 'off'})
        raise h.Fail('state "off" was accepted')
    except h.Fail as e:
        h.check_in('-32602', str(e), 'invalid params')
    for c in held:
        c.close()
    ctl.close()
    d.stop()


@suite.case('a reload keeps the state and counters of servers that stay')
def _(t):
    a, b = t.backend(NamedBackend, 'a'), t.backend(NamedBackend, 'b')
    addr_a, addr_b = '127.0.0.1:%d' % a.port, '127.0.0.1:%d' % b.port
    d, port = start(t, [addr_a, addr_b])
    names(t, port, 4)
    ctl = t.control(d)
    ctl.call('backends.set', {'route': 'pool', 'address': addr_a, 'state': 'drain'})
    pol = json.load(open(d.policy_path))
    pol['routes'][0]['backend'] = {'servers': [addr_a, addr_b], 'balance': 'first'}
    rev = ctl.call('policy.get')['revision']
    ctl.call('policy.apply', {'policy': pol, 'revision': rev, 'persist': False})
    rows = {r['address']: r for r in ctl.call('backends.list')}
    h.check_eq((rows[addr_a]['state'], rows[addr_a]['total']), ('drain', 2), 'a kept')
    h.check_eq(rows[addr_b]['total'], 2, 'b kept its total')
    h.check_eq(set(names(t, port, 3)), {'b'}, 'first, with a still drained')
    pol['routes'][0]['backend'] = addr_b
    ctl.call('policy.apply', {'policy': pol, 'revision': rev + 1, 'persist': False})
    h.check_eq([r['address'] for r in ctl.call('backends.list')], [addr_b], 'a is gone')
    ctl.close()
    d.stop()


@suite.case('UNIX socket and host-name servers')
def _(t):
    path = t.path('echo.sock')
    ux = UnixEchoBackend(path)
    t.on_cleanup(ux.stop)
    d, port = start(t, 'unix:' + path)
    conn = t.tunnel(port, '/p')
    conn.sendall(b'over unix')
    h.check_eq(conn.recv_exact(9), b'over unix', 'echo through a UNIX socket backend')
    conn.close()
    h.check_eq([r['address'] for r in backends(t, d)], ['unix:' + path], 'listed')
    d.stop()

    named = t.backend(NamedBackend, 'named')
    d, port = start(t, 'localhost:%d' % named.port)
    rows = backends(t, d)
    h.check(all(r['server'] == 'localhost:%d' % named.port for r in rows) and
        '127.0.0.1:%d' % named.port in [r['address'] for r in rows],
        'a name stands for its addresses: %r' % rows)
    h.check_eq(set(names(t, port, 2 * len(rows))), {'named'}, 'tunnels through the name')
    d.stop()


@suite.case('switchboardctl backends and backend; metrics per server')
def _(t):
    a = t.backend(NamedBackend, 'a')
    dead = h.free_port()
    port, mport = h.free_port(), h.free_port()
    addr_a, addr_dead = '127.0.0.1:%d' % a.port, '127.0.0.1:%d' % dead
    d = t.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('pool', [addr_dead, addr_a], path='/p')],
        metrics='127.0.0.1:%d' % mport))
    names(t, port, 2)
    ctl = [os.path.join(h.build_root(), 'daemon', 'switchboardctl'), '--socket', d.control]
    out = subprocess.run(ctl + ['backends'], capture_output=True, text=True, timeout=20)
    h.check_eq(out.returncode, 0, 'backends exit status: %s' % out.stderr)
    h.check(re.search(r'ROUTE\s+ADDRESS\s+STATE\s+ACTIVE\s+TOTAL\s+FAILURES\s+LAST ERROR',
        out.stdout), 'table header: %r' % out.stdout)
    h.check(re.search(r'pool\s+%s\s+up\s+0\s+0\s+\d+\s+Connection refused' % re.escape(addr_dead),
        out.stdout), 'the dead server row: %r' % out.stdout)
    out = subprocess.run(ctl + ['backend', 'pool', addr_a, 'maint'], capture_output=True,
        text=True, timeout=20)
    h.check_eq(out.returncode, 0, 'backend set: %s' % out.stderr)
    out = subprocess.run(ctl + ['backend', 'pool', '10.1.1.1:1', 'drain'], capture_output=True,
        text=True, timeout=20)
    h.check_eq(out.returncode, 1, 'an unknown server is refused')
    h.check_in('no server 10.1.1.1:1 in route pool', out.stderr, 'its message')
    text = urllib.request.urlopen('http://127.0.0.1:%d/metrics' % mport, timeout=5).read().decode()
    h.check_in('switchboard_backend_up{route="pool",address="%s"} 0' % addr_a, text, 'maint: 0')
    h.check_in('switchboard_backend_up{route="pool",address="%s"} 1' % addr_dead, text, 'up: 1')
    h.check(re.search(r'switchboard_backend_failures_total\{route="pool",address="%s"\} [1-9]'
        % re.escape(addr_dead), text), 'failures counted')
    d.stop()


if __name__ == '__main__':
    suite.run()
