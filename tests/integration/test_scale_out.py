#!/usr/bin/python3
"""Scale-out: two switchboardd daemons with the same policy (but for the port) behind HAProxy
(mode tcp, balance leastconn, send-proxy-v2) on loopback. 1,000 WebSocket clients, each from an
address of its own in 127/8, connect through HAProxy and echo; the load spreads over both
daemons. While clients keep connecting at a steady rate, one daemon is replaced by
switchboardd --takeover: no client is refused or reset, HAProxy never sees the server down, and
the access logs (JSON) of the three daemons hold exactly the client addresses and ports the
clients used, each once, the replaced daemon's and its successor's together covering what went
to their side."""

import asyncio
import collections
import csv
import io
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import wsutil as w  # noqa: E402

import websockets  # noqa: E402  (python3-websockets)

suite = h.Suite('scale out')

# The same counts under the sanitizers (SB_TIME_SCALE): they keep up; only the waits stretch.
HELD = 1000                          # clients open at once through HAProxy
RATE = 200                           # new clients a second while one daemon is replaced
STEADY_S = 5.0                       # how long they keep coming
SWAP_AT_S = 2.0                      # when the replacement starts, into the steady load
IN_FLIGHT = 100                      # handshakes at once while the HELD clients open
OPEN_TIMEOUT_S = 30


def source(i):
    """Client i's own address: 127.1.0.1, 127.1.0.2, ... (Linux routes all of 127/8 to lo)."""
    return '127.1.%d.%d' % (i // 250, 1 + i % 250)


def lb_policy(port):
    """The policy both daemons run; only the listener's port differs between them."""
    return h.policy(
        [{'name': 'lb', 'bind': '127.0.0.1:%d' % port,
          'proxy_protocol': {'from': ['127.0.0.1/32']}}],
        [w.ws_route('ws', 'builtin:echo', '/ws')],
        access_log='access.log', limits={'drain_timeout_s': 60})


def haproxy(t, ports):
    """HAProxy on a port of its own, balancing over the daemons' ports; returns (port, stats
    socket path, proc)."""
    port = h.free_port()
    cfg, stats = t.path('haproxy.cfg'), t.path('haproxy.sock')
    servers = ['    server sb%d 127.0.0.1:%d send-proxy-v2 check check-send-proxy inter 200ms '
               'fall 2 rise 2' % (i, p) for i, p in enumerate(ports)]
    with open(cfg, 'w') as f:
        f.write('\n'.join([
            'global', '    maxconn 4096', '    log stderr format short local0 info',
            '    stats socket %s level admin' % stats,
            'defaults', '    mode tcp', '    log global', '    option tcplog',
            # no second try: a daemon that refused would be hidden by a retry
            '    retries 0',
            '    timeout connect 5s', '    timeout client 120s', '    timeout server 120s',
            'frontend fe', '    bind 127.0.0.1:%d' % port, '    maxconn 4096',
            '    default_backend be',
            'backend be', '    balance leastconn'] + servers + ['']))
    proc = t.process(['haproxy', '-f', cfg, '-db'], 'haproxy', port=port)
    # the probe that saw it listen is no client: its session out of the counts
    h.wait_for(lambda: sum(int(v['stot']) for v in haproxy_servers(stats).values()) == 1, 10,
        'HAProxy to count the probe that saw it listen')
    haproxy_command(stats, 'clear counters all')
    return port, stats, proc


def haproxy_command(stats, command):
    """What HAProxy answers on its stats socket to one command."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(stats)
        s.sendall(command.encode() + b'\n')
        data = b''
        for _ in range(1000):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode()


def haproxy_servers(stats):
    """HAProxy's `show stat` for the servers of backend be: {name: {column: value}}."""
    rows = list(csv.reader(io.StringIO(haproxy_command(stats, 'show stat').lstrip('# '))))
    names = rows[0]
    return {r[1]: dict(zip(names, r)) for r in rows[1:]
            if len(r) == len(names) and r[0] == 'be' and r[1] not in ('BACKEND', 'FRONTEND')}


class Clients:
    """WebSocket clients through HAProxy, each from its own address, every outcome counted."""

    def __init__(self, port):
        self.port = port
        self.next = 0
        self.used = []        # 'ip:port' of every client that reached its 101
        self.failed = {}      # client number -> why

    def take(self):
        i = self.next
        self.next += 1
        return i

    async def open(self, i):
        """Connects from source(i), shakes hands and echoes once; the connection, or None."""
        try:
            ws = await asyncio.wait_for(websockets.connect(
                'ws://127.0.0.1:%d/ws' % self.port, local_addr=(source(i), 0),
                ping_interval=None, open_timeout=None, close_timeout=h.scaled(10),
                max_size=1 << 16), h.scaled(OPEN_TIMEOUT_S))
        except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as e:
            self.failed[i] = 'open: %s: %s' % (type(e).__name__, e)
            return None
        addr = ws.local_address
        self.used.append('%s:%d' % (addr[0], addr[1]))
        if not await self.echo(i, ws, b'hello from client %d' % i):
            await ws.close()
            return None
        return ws

    async def echo(self, i, ws, msg):
        try:
            back = b''
            await ws.send(msg)
            for _ in range(64):
                if len(back) >= len(msg):
                    break
                back += await asyncio.wait_for(ws.recv(), h.scaled(OPEN_TIMEOUT_S))
            if back != msg:
                self.failed[i] = 'echo %r for %r' % (back[:40], msg)
                return False
            return True
        except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as e:
            self.failed[i] = 'echo: %s: %s' % (type(e).__name__, e)
            return False

    async def once(self, i):
        """A client that comes, echoes and leaves."""
        ws = await self.open(i)
        if ws is not None:
            await self.close(i, ws)

    async def close(self, i, ws):
        try:
            await asyncio.wait_for(ws.close(), h.scaled(20))
        except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as e:
            self.failed[i] = 'close: %s: %s' % (type(e).__name__, e)


def access_lines(path):
    """Every line of a daemon's JSON access log, each an access line; none before the file."""
    try:
        with open(path) as f:
            lines = [json.loads(line) for line in f.read().splitlines()]
    except FileNotFoundError:
        return []
    for o in lines:
        h.check_eq(o.get('message'), 'access', 'an access line in %s' % path)
    return lines


@suite.case('%d clients over two daemons behind HAProxy, one daemon replaced under %d new '
    'clients a second' % (HELD, RATE), timeout=240)
def _(t):
    h.raise_fd_limit(HELD * 4 + RATE * int(STEADY_S) * 4 + 1024)
    ports = [h.free_port(), h.free_port()]
    a, b = (t.daemon(lb_policy(p), args=['--log-format', 'json'], name=n)
            for p, n in zip(ports, ('a', 'b')))
    hport, stats, hap = haproxy(t, ports)
    a_ctl, b_ctl = t.control(a), t.control(b)
    clients = Clients(hport)
    swap = {}

    def replace_a():
        """switchboardd --takeover in a's place: same policy, its own state and control."""
        a2 = h.Daemon(t, lb_policy(ports[0]), args=['--log-format', 'json', '--takeover',
            a.control], name='a2')
        t.daemons.append(a2)
        a2.start()
        a.wait_log(r'daemon\.drain from uid', 10)
        swap['a2'] = a2

    async def scenario():
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def held_one():
            async with gate:
                i = clients.take()
                return i, await clients.open(i)
        started = time.monotonic()
        held = [(i, ws) for i, ws in await asyncio.gather(*[held_one() for _ in range(HELD)])
                if ws is not None]
        h.Tap().diag('%d clients open in %.1f s' % (len(held), time.monotonic() - started))
        h.check_eq(sorted(clients.failed.items())[:5], [], 'clients that failed to open')
        loop = asyncio.get_running_loop()
        tunnels = [(await loop.run_in_executor(None, c.call, 'status'))['counters']['active']
                   for c in (a_ctl, b_ctl)]
        h.check_eq(sum(tunnels), HELD, 'tunnels on both daemons with every client open')
        h.check(min(tunnels) >= HELD // 4, 'leastconn spreads the clients: %r' % tunnels)

        # A steady stream of clients that come and go; the swap in the middle of it.
        steady, start = [], time.monotonic()
        swapping = None
        for k in range(int(RATE * STEADY_S)):
            delay = start + k / RATE - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if swapping is None and time.monotonic() - start >= SWAP_AT_S:
                swapping = loop.run_in_executor(None, replace_a)
            steady.append(asyncio.ensure_future(clients.once(clients.take())))
        await asyncio.gather(*steady)
        h.check(swapping is not None, 'the swap started during the load')
        await swapping
        h.Tap().diag('%d clients came and went in %.1f s (%.0f a second)' % (len(steady),
            time.monotonic() - start, len(steady) / (time.monotonic() - start)))

        # the held clients, half of them on the replaced daemon, still echo; then all leave
        for i, ws in held:
            await clients.echo(i, ws, b'after the swap %d' % i)
        await asyncio.gather(*[clients.close(i, ws) for i, ws in held])

    asyncio.run(scenario())
    failed = sorted(clients.failed.items())
    h.check_eq((len(failed), failed[:5]), (0, []), 'clients refused, reset or broken')
    a2 = swap['a2']
    a.expect_exit(0, 20)

    # Every client in exactly one access log, with the address and port it used.
    a2_ctl = t.control(a2)
    h.wait_for(lambda: all(c.call('status')['counters']['active'] == 0 for c in (a2_ctl, b_ctl)),
        10, 'every tunnel closed')
    logs = {n: os.path.join(d.dir, 'access.log') for n, d in (('a', a), ('a2', a2), ('b', b))}

    def all_lines():
        return {n: access_lines(p) for n, p in logs.items()}
    h.wait_for(lambda: sum(len(v) for v in all_lines().values()) >= clients.next, 10,
        'an access line for each of the %d clients' % clients.next)
    lines = all_lines()
    for n, ls in lines.items():
        bad = [o for o in ls if (o['status'], o['route']) != (101, 'ws')]
        h.check_eq(bad[:3], [], 'access lines of %s that are not a closed tunnel' % n)
    logged = collections.Counter(o['client'] for ls in lines.values() for o in ls)
    used = collections.Counter(clients.used)
    h.check_eq(len(used), clients.next, 'clients, each with an address and port of its own')
    h.check_eq(sorted((logged - used).items())[:5], [], 'logged clients that never came')
    h.check_eq(sorted((used - logged).items())[:5], [], 'clients no access log names')
    for o in lines['a'] + lines['a2'] + lines['b']:
        h.check(re.match(r'127\.1\.\d+\.\d+:\d+$', o['client']), 'a client address: %r' % o)
    sides = {n: len(ls) for n, ls in lines.items()}
    h.Tap().diag('access lines: %r' % sides)
    h.check(sides['a2'] > 0 and sides['a'] > HELD // 4, 'both daemons of side a served: %r'
        % sides)
    b_upgraded = b_ctl.call('status')['counters']['upgraded']
    h.check_eq(sides['b'], b_upgraded, 'access lines of b against its upgrades')
    h.check_eq(sides['a'] + sides['a2'], clients.next - b_upgraded,
        'access lines of side a (the replaced daemon and its successor)')
    # HAProxy's side: its health checks passed throughout, and it sent each daemon's port
    # exactly the connections that daemon's access logs name
    servers = haproxy_servers(stats)
    for n, srv in sorted(servers.items()):
        h.check_eq((srv['status'], srv['check_status'], srv['chkfail'], srv['chkdown']),
            ('UP', 'L4OK', '0', '0'), 'HAProxy server %s: status, check, failed checks, '
            'times down' % n)
    h.check_eq((int(servers['sb0']['stot']), int(servers['sb1']['stot'])),
        (sides['a'] + sides['a2'], sides['b']), 'sessions HAProxy sent to each side')
    hlog = hap.log_text()
    h.check(not re.search(r'is DOWN|no server available', hlog),
        'HAProxy never saw a server down: %s' % '\n'.join(hlog.splitlines()[-5:]))
    a2.stop()
    b.stop()


suite.run()
