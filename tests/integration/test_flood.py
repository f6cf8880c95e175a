#!/usr/bin/python3
"""Clients that write and never read must not grow the daemon's memory: 50 WebSocket clients
flood pings (each ping asks for a pong) while another client keeps echoing; then the same
with data for an echo backend, in websocket mode and in tunnel mode over TLS. The daemon's resident memory
stays bounded, and the echo client keeps working."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import wsutil as w  # noqa: E402

FLOODERS = 50
PER_CLIENT = 16 << 20      # bytes each flooder tries to send: 800 MB in all
STALL_S = 2.0              # a send blocked this long: the daemon stopped reading that client
RSS_BOUND_KB = 200 << 10   # generous: the queues are capped at a few hundred KiB a connection

# Under AddressSanitizer, freed memory waits in a quarantine (256 MB by default) that
# would count as resident here: keep it small. Other builds ignore the variable.
os.environ['ASAN_OPTIONS'] = ':'.join(filter(None, [os.environ.get('ASAN_OPTIONS'),
    'quarantine_size_mb=16']))

suite = h.Suite('flooding clients that never read')


def rss_kb(d):
    with open('/proc/%d/status' % d.proc.pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise h.Fail('no VmRSS for the daemon')


def settled_rss_kb(d):
    """
    The daemon's RSS once the bytes still in socket buffers (megabytes a
    connection on loopback) are taken: when it stops growing, or past the bound.
    """
    last = rss_kb(d)
    for _ in range(40):
        time.sleep(0.25)
        now = rss_kb(d)
        if now > RSS_BOUND_KB or abs(now - last) < 1024:
            return now
        last = now
    return last


def flood(conn, chunk):
    """Sends chunk until PER_CLIENT bytes went out or a send stalls; returns the bytes sent."""
    sent = 0
    conn.settimeout(STALL_S)
    try:
        while sent < PER_CLIENT:
            conn.sendall(chunk)
            sent += len(chunk)
    except socket.timeout:
        pass  # the daemon stopped reading this client, as it should
    except (BrokenPipeError, ConnectionResetError):
        pass  # closed (a ping timeout, say): that bounds memory too
    return sent


def run_flood(t, d, conns, chunk, witness, what):
    before = rss_kb(d)
    sent = h.run_threads(flood, [(c, chunk) for c in conns], timeout=240)
    after = settled_rss_kb(d)
    h.Tap().diag('%s: %d clients sent %d MB; daemon RSS %d -> %d MB' % (what, len(conns),
        sum(sent) >> 20, before >> 10, after >> 10))
    h.check(d.alive(), 'the daemon is alive after %s' % what)
    h.check(after < RSS_BOUND_KB, '%s: the daemon grew to %d MB of resident memory'
        % (what, after >> 10))
    h.check(not witness.errors, 'the echo client failed during %s: %s' % (what,
        witness.errors))
    count = witness.count
    h.wait_for(lambda: witness.count > count + 3 or witness.errors, 10,
        'the echo client to go on after %s' % what)
    h.check(not witness.errors, 'the echo client failed after %s: %s' % (what, witness.errors))


def start_witness(t, conn):
    wit = h.Witness(conn)
    t.on_cleanup(wit.stop)
    h.wait_for(lambda: wit.count > 0 or wit.errors, 5, 'the echo client to echo')
    return wit


@suite.case('50 clients flood pings and never read: RSS bounded, echo goes on', timeout=300)
def _(t):
    d, ports = w.ws_daemon(t, [w.ws_route('echo', 'builtin:echo', '/echo')])
    witness = start_witness(t, w.open_ws(t, ports[None]))
    flooders = [w.open_ws(t, ports[None]).conn for _ in range(FLOODERS)]
    pings = b''.join(w.frame(w.OP_PING, b'p' * 125) for _ in range(500))
    run_flood(t, d, flooders, pings, witness, 'a ping flood')


@suite.case('50 clients send to an echo backend and never read: RSS bounded', timeout=300)
def _(t):
    # the built-in echo: a backend that keeps up, and resets nobody when the clients leave
    d, ports = w.ws_daemon(t, [w.ws_route('ws', 'builtin:echo', '/ws'),
        h.route('tun', 'builtin:echo', path='/tun')])
    witness = start_witness(t, w.open_ws(t, ports[None], '/ws'))
    flooders = [w.open_ws(t, ports[None], '/ws').conn for _ in range(FLOODERS // 2)]
    # over TLS: between plain sockets the kernel splices, and no queue of ours fills
    flooders += [t.tunnel(ports[True], '/tun', tls=True)
        for _ in range(FLOODERS - len(flooders))]
    data = w.frame(w.OP_BINARY, b'd' * 65000)
    run_flood(t, d, flooders, data, witness, 'a data flood')


suite.run()
