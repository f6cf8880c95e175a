#!/usr/bin/python3
"""Hostile input is answered or closed within seconds, while another client's tunnel keeps
working: huge header blocks, thousands of header lines, garbage, HTTP/1.0 upgrades, a slow
trickle, silence, and bytes that are not TLS on the TLS port."""

import os
import random
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

HANDSHAKE_TIMEOUT = 2
suite = h.Suite('hostile input')


def setup(t):
    echo = t.backend(h.EchoBackend)
    ports = {None: h.free_port(), True: h.free_port()}
    d = t.daemon(h.policy(
        [h.tls_listener('tls', ports[True], h.localhost_pair()),
         h.plain_listener('plain', ports[None])],
        [h.route('echo', echo, path='/echo')],
        limits={'handshake_timeout_s': HANDSHAKE_TIMEOUT}))
    witnesses = [h.Witness(t.tunnel(ports[tls], '/echo', tls=tls)) for tls in (None, True)]
    for w in witnesses:
        t.on_cleanup(w.stop)
    h.wait_for(lambda: all(w.count > 0 for w in witnesses), 5, 'the witnesses to ping')
    return d, ports, witnesses


def finish(d, witnesses, what):
    for w in witnesses:
        w.check(what)
    h.check(d.alive(), 'the daemon is alive after %s' % what)


def send_quietly(conn, data):
    """Sends what the daemon takes; it may well close or reset before the end."""
    try:
        conn.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
        return False


def outcome(conn, within):
    """('answer', status) for an HTTP answer, ('closed', None) for EOF or reset; within s."""
    within = h.scaled(within)
    conn.settimeout(within)
    try:
        resp = h.read_head(conn)
        return 'answer', resp.status
    except h.Fail as e:
        if 'EOF before' in str(e):
            return 'closed', None
        raise
    except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError):
        return 'closed', None
    except socket.timeout:
        raise h.Fail('neither an answer nor a close within %.1f s' % within)


def answered_or_closed(t, port, tls, data, what, within=5.0, statuses=range(400, 500)):
    start = time.monotonic()
    conn = t.connect(port, tls=tls)
    send_quietly(conn, data)
    kind, status = outcome(conn, within)
    if kind == 'answer':
        h.check(status in statuses, '%s: answered %d' % (what, status))
    h.check(time.monotonic() - start < h.scaled(within), '%s: took %.1f s' % (what,
        time.monotonic() - start))
    conn.close()
    return kind, status


def closed_with_alert_at_most(conn, within):
    """Raw bytes to a TLS port: the daemon may send one TLS alert record, then must close."""
    within = h.scaled(within)
    conn.settimeout(within)
    got = b''
    try:
        while len(got) < 4096:
            d = conn.recv(4096)
            if not d:
                break
            got += d
    except ConnectionResetError:
        pass
    except socket.timeout:
        raise h.Fail('not closed within %.1f s (got %r)' % (within, got[:32]))
    h.check(got == b'' or (got[0] == 0x15 and len(got) == 7), 'a TLS alert at most, got %r'
        % got[:32])


def header_block(lines):
    return ('GET /echo HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n'
        'Upgrade: sb-test\r\n' + ''.join(lines) + '\r\n').encode()


@suite.case('100 KiB of headers: answered or closed; others unaffected')
def _(t):
    d, ports, ws = setup(t)
    block = header_block('X-Pad-%d: %s\r\n' % (i, 'a' * 1000) for i in range(100))
    for tls in (None, True):
        kind, status = answered_or_closed(t, ports[tls], tls, block, '100 KiB header block')
        h.Tap().diag('100 KiB of headers, %s: %s %s' % ('TLS' if tls else 'plain', kind, status))
    finish(d, ws, '100 KiB header blocks')


@suite.case('5,000 header lines: answered or closed; others unaffected')
def _(t):
    d, ports, ws = setup(t)
    for block in (header_block('X-%d: v\r\n' % i for i in range(5000)),
            header_block('a: b\r\n' for i in range(5000))):
        for tls in (None, True):
            answered_or_closed(t, ports[tls], tls, block, '5,000 header lines')
    finish(d, ws, '5,000 header lines')


@suite.case('binary garbage: answered or closed; others unaffected')
def _(t):
    d, ports, ws = setup(t)
    rng = random.Random(99)
    for n in (1, 100, 4096, 65536):
        garbage = bytes([0]) + rng.randbytes(n)
        for tls in (None, True):
            answered_or_closed(t, ports[tls], tls, garbage, '%d bytes of garbage' % n)
    answered_or_closed(t, ports[None], None, b'\r\n' * 3000, 'empty lines')
    answered_or_closed(t, ports[None], None, b'GET /echo HTTP/1.1\r\nHost: a\x00b\r\n\r\n',
        'a NUL in a header')
    answered_or_closed(t, ports[None], None, b'GET /echo HTTP/9.9\r\nHost: a\r\n\r\n',
        'HTTP/9.9', statuses=list(range(400, 500)) + [505])
    finish(d, ws, 'garbage')


@suite.case('HTTP/1.0 upgrade attempt: 426; others unaffected')
def _(t):
    d, ports, ws = setup(t)
    for tls in (None, True):
        kind, status = answered_or_closed(t, ports[tls], tls,
            h.upgrade_request('/echo', version='HTTP/1.0'), 'HTTP/1.0 upgrade', statuses=[426])
        h.check_eq(kind, 'answer', 'the HTTP/1.0 upgrade attempt gets an answer')
    finish(d, ws, 'HTTP/1.0 upgrades')


def trickle(t, port, tls):
    """One byte every 0.5 s of an endless header; seconds until the daemon answers or closes."""
    conn = t.connect(port, tls=tls)
    start = time.monotonic()
    data = b'GET /echo HTTP/1.1\r\nHost: localhost\r\nX-Slow: ' + b'z' * 100
    for i in range(len(data)):
        if not send_quietly(conn, data[i:i + 1]):
            break
        conn.settimeout(0.5)
        try:
            got = conn.recv(4096)
        except socket.timeout:
            got = None
        except (ConnectionResetError, ssl.SSLEOFError):
            got = b''
        if got is not None:
            break  # an answer (say 408) or a close: either ends the trickle
        if time.monotonic() - start > h.scaled(HANDSHAKE_TIMEOUT + 8):
            raise h.Fail('still open after %.1f s of trickling' % (time.monotonic() - start))
    conn.close()
    return time.monotonic() - start


@suite.case('a header trickled a byte every 0.5 s is cut within the handshake timeout',
    timeout=90)
def _(t):
    d, ports, ws = setup(t)
    for tls in (None, True):
        took = trickle(t, ports[tls], tls)
        h.check(took <= h.scaled(HANDSHAKE_TIMEOUT + 2.5), '%s trickle closed after %.1f s, handshake '
            'timeout is %d s' % ('TLS' if tls else 'plain', took, HANDSHAKE_TIMEOUT))
        h.check(took >= HANDSHAKE_TIMEOUT - 0.5, 'closed after %.1f s, before the handshake '
            'timeout' % took)
    finish(d, ws, 'trickles')


@suite.case('silent connections (no request, no TLS hello) are closed after the timeout')
def _(t):
    d, ports, ws = setup(t)
    for port in (ports[None], ports[True]):
        sock = socket.create_connection(('127.0.0.1', port), timeout=10)
        t.on_cleanup(sock.close)
        start = time.monotonic()
        closed_with_alert_at_most(h.Conn(sock), HANDSHAKE_TIMEOUT + 4)
        took = time.monotonic() - start
        h.check(took <= h.scaled(HANDSHAKE_TIMEOUT + 2.5), 'silent connection closed after '
            '%.1f s' % took)
        h.check(took >= HANDSHAKE_TIMEOUT - 0.5, 'closed after %.1f s, too early' % took)
    finish(d, ws, 'silent connections')


@suite.case('the TLS port: bytes that are not TLS are dropped within seconds')
def _(t):
    d, ports, ws = setup(t)
    for garbage in (b'\x00\x01\x02garbage', bytes(range(256)) * 64,
            b'\x16\x03\x01\x00\x05hello' + bytes(2000)):
        start = time.monotonic()
        conn = t.connect(ports[True])
        send_quietly(conn, garbage)
        closed_with_alert_at_most(conn, 5)
        h.check(time.monotonic() - start < h.scaled(5), 'closed within %.0f s' % h.scaled(5))
        conn.close()
    # Tunnels opened between such connections (they get the lowest free descriptors) live on.
    for i in range(3):
        fresh = t.tunnel(ports[None], '/echo')
        fresh.sendall(b'fresh')
        h.check_eq(fresh.recv_exact(5), b'fresh', 'echo on a tunnel opened afterwards')
        conn = t.connect(ports[True])
        send_quietly(conn, b'\x00not TLS either')
        closed_with_alert_at_most(conn, 5)
        fresh.sendall(b'still')
        h.check_eq(fresh.recv_exact(5), b'still', 'echo on that tunnel after one more '
            'connection with non-TLS bytes')
    finish(d, ws, 'non-TLS bytes on the TLS port')


@suite.case('the TLS port: plain HTTP gets a 400 answer, and nothing after it')
def _(t):
    d, ports, ws = setup(t)
    conn = t.connect(ports[True])
    resp = h.upgrade(conn, '/echo')
    h.check_eq(resp.status, 400, 'status of plain HTTP on the TLS port')
    h.check_in('TLS', resp.body.decode(errors='replace'), 'the reason')
    conn.wait_eof(5)
    finish(d, ws, 'plain HTTP on the TLS port')


@suite.case('many hostile clients at once, while the witnesses keep pinging', timeout=90)
def _(t):
    d, ports, ws = setup(t)
    rng = random.Random(5)
    jobs = []
    for i in range(40):
        tls = (None, True)[i % 2]
        kind = i % 4
        if kind == 0:
            data = header_block('X-Pad-%d: %s\r\n' % (j, 'b' * 1000) for j in range(100))
        elif kind == 1:
            data = rng.randbytes(8192)
        elif kind == 2:
            data = h.upgrade_request('/echo', version='HTTP/1.0')
        else:
            data = h.upgrade_request('/nowhere')
        jobs.append((ports[tls], tls, data))

    def one(port, tls, data):
        conn = h.connect(port, tls=tls, timeout=10)
        try:
            send_quietly(conn, data)
            return outcome(conn, 8)
        finally:
            conn.close()
    h.run_threads(one, jobs, 60)
    finish(d, ws, '40 hostile clients at once')


suite.run()
