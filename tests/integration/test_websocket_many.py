#!/usr/bin/python3
"""1,000 concurrent WebSocket connections from one asyncio client (python3-websockets), over
ws:// and wss://: all open at once (the daemon's status counts them), each echoes its own
message, then all close cleanly and the daemon's count goes back to zero."""

import asyncio
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import wsutil as w  # noqa: E402

import websockets  # noqa: E402  (python3-websockets)

COUNT = 1000
HANDSHAKES_IN_FLIGHT = 100

suite = h.Suite('websocket many')


def daemon_status(d):
    """The control socket's status result."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(d.control)
        s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"status"}\n')
        data = b''
        while not data.endswith(b'\n'):
            chunk = s.recv(65536)
            if not chunk:
                raise h.Fail('control socket closed before the answer: %r' % data)
            data += chunk
    answer = json.loads(data)
    if 'result' not in answer:
        raise h.Fail('status failed: %r' % answer)
    return answer['result']


def tunnels(d):
    return daemon_status(d)['counters']['active']


async def many(d, port, tls):
    gate = asyncio.Semaphore(HANDSHAKES_IN_FLIGHT)
    kw = {'max_size': 1 << 20, 'ping_interval': None, 'open_timeout': 60, 'close_timeout': 20}
    if tls:
        kw.update(ssl=w.client_ssl(), server_hostname='localhost')

    async def open_one(i):
        async with gate:
            return await websockets.connect(w.uri(port, '/echo', tls), **kw)
    started = time.monotonic()
    conns = await asyncio.gather(*[open_one(i) for i in range(COUNT)])
    opened = time.monotonic() - started
    live = await asyncio.get_running_loop().run_in_executor(None, tunnels, d)
    h.check_eq(live, COUNT, 'tunnels the daemon counts with all connections open')

    async def echo_one(i, ws):
        msg = ('connection %d of %d ' % (i, COUNT)).encode() * (1 + i % 7)
        await ws.send(msg)
        back = b''
        while len(back) < len(msg):
            back += await ws.recv()
        h.check_eq(back, msg, 'echo on connection %d' % i)
    await asyncio.gather(*[echo_one(i, ws) for i, ws in enumerate(conns)])

    async def close_one(i, ws):
        await ws.close(1000, 'bye %d' % i)
        h.check_eq(ws.close_code, 1000, 'close code of connection %d' % i)
    await asyncio.gather(*[close_one(i, ws) for i, ws in enumerate(conns)])
    return opened


def run_many(t, tls):
    h.raise_fd_limit(COUNT * 4 + 256)
    # every connection comes from 127.0.0.1: room for them past the default 256 per address
    d, ports = w.ws_daemon(t, [w.ws_route('echo', 'builtin:echo', '/echo')],
        limits={'max_per_ip': COUNT})

    async def bounded():
        return await asyncio.wait_for(many(d, ports[tls], tls), h.scaled(150))
    try:
        opened = asyncio.run(bounded())
    except asyncio.TimeoutError:
        raise h.Fail('%d connections did not open, echo and close within %.0f s' % (COUNT,
            h.scaled(150)))
    print('# %d %s handshakes in %.1f s' % (COUNT, 'wss' if tls else 'ws', opened))
    h.wait_for(lambda: tunnels(d) == 0, 10, 'the daemon to count 0 tunnels')
    h.check(d.alive(), 'the daemon is alive')
    d.stop()


@suite.case('%d concurrent connections over ws://, each echoing' % COUNT, timeout=200)
def _(t):
    run_many(t, None)


@suite.case('%d concurrent connections over wss://, each echoing' % COUNT, timeout=200)
def _(t):
    run_many(t, True)


suite.run()
