"""wsutil.py - WebSocket (RFC 6455) helpers for the integration tests.

Frames are built by hand here, so a test can send what no library would (an
unmasked frame, RSV bits, a non-minimal length), and read the daemon's frames
exactly as they came. WsConn wraps a harness connection after the handshake
and looks like a byte stream (sendall / recv / recv_exact), so harness helpers
such as Witness work through a WebSocket too.
"""

import asyncio
import base64
import hashlib
import os
import ssl
import struct

import harness as h

GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xa

CLOSE_NORMAL, CLOSE_GOING_AWAY, CLOSE_PROTOCOL = 1000, 1001, 1002
CLOSE_INVALID_DATA, CLOSE_TOO_BIG, CLOSE_INTERNAL = 1007, 1009, 1011


def new_key():
    return base64.b64encode(os.urandom(16)).decode()


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def handshake_headers(key=None, version='13', origin=None, protocols=None, extra=()):
    """Request headers of a WebSocket handshake; None leaves a header out."""
    hdrs = []
    if key is not None:
        hdrs.append(('Sec-WebSocket-Key', key))
    if version is not None:
        hdrs.append(('Sec-WebSocket-Version', version))
    if origin is not None:
        hdrs.append(('Origin', origin))
    if protocols is not None:
        hdrs.append(('Sec-WebSocket-Protocol', protocols))
    return hdrs + list(extra)


def handshake(conn, path, method='GET', **kw):
    """Sends a handshake on a harness connection and reads the answer (a harness.Response)."""
    key = kw.pop('key', new_key())
    hdrs = handshake_headers(key=key, **kw)
    req = h.upgrade_request(path, 'websocket', headers=hdrs)
    if method != 'GET':
        req = method.encode() + req[3:]
    conn.sendall(req)
    resp = h.read_response(conn)
    resp.key = key
    return resp


def check_101(resp, what, protocol=None):
    """Checks a 101 answer to a handshake: status, Upgrade, Connection, Accept, protocol."""
    h.check_eq(resp.status, 101, 'status of %s (body %r)' % (what, resp.body))
    h.check_eq((resp.header('Upgrade') or '').lower(), 'websocket', 'Upgrade of %s' % what)
    conn_tokens = [t.strip().lower() for t in (resp.header('Connection') or '').split(',')]
    h.check_eq(conn_tokens, ['upgrade'], 'Connection tokens of %s' % what)
    h.check_eq(resp.header('Sec-WebSocket-Accept'), accept_for(resp.key),
        'Sec-WebSocket-Accept of %s' % what)
    h.check_eq(resp.header('Sec-WebSocket-Protocol'), protocol,
        'Sec-WebSocket-Protocol of %s' % what)
    h.check_eq(resp.header('Sec-WebSocket-Extensions'), None,
        'Sec-WebSocket-Extensions of %s' % what)


def mask_bytes(data, key):
    if not data:
        return b''
    n = len(data)
    whole = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, 'big') ^ int.from_bytes(whole, 'big')).to_bytes(n, 'big')


def frame(op, payload=b'', fin=True, mask=True, rsv=0, length_bytes=None):
    """
    One frame as bytes. rsv is the three RSV bits (0..7); length_bytes forces
    the length encoding: 0 (7-bit), 2 (16-bit) or 8 (64-bit) extended length,
    even where a shorter one would do.
    """
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload)
    first = (0x80 if fin else 0) | (rsv & 7) << 4 | op
    if length_bytes is None:
        length_bytes = 0 if n < 126 else 2 if n < 65536 else 8
    mbit = 0x80 if mask else 0
    if length_bytes == 0:
        head = bytes([first, mbit | n])
    elif length_bytes == 2:
        head = bytes([first, mbit | 126]) + struct.pack('!H', n)
    else:
        head = bytes([first, mbit | 127]) + struct.pack('!Q', n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + mask_bytes(payload, key)


def close_payload(code, reason=b''):
    if isinstance(reason, str):
        reason = reason.encode()
    return struct.pack('!H', code) + reason


class Frame:
    def __init__(self, fin, rsv, op, payload):
        self.fin, self.rsv, self.op, self.payload = fin, rsv, op, payload

    def close_code(self):
        return struct.unpack('!H', self.payload[:2])[0] if len(self.payload) >= 2 else None

    def close_reason(self):
        return self.payload[2:].decode(errors='replace')

    def __repr__(self):
        if self.op == OP_CLOSE:
            return '<close %s %r>' % (self.close_code(), self.close_reason())
        return '<frame op=%d fin=%s rsv=%d %d bytes %r>' % (self.op, self.fin, self.rsv,
            len(self.payload), self.payload[:40])


def read_frame(conn):
    """One frame from the daemon; Fail on EOF or on anything a server must not send."""
    b0, b1 = conn.recv_exact(2)
    h.check(not b1 & 0x80, 'a server frame is masked (header %02x %02x)' % (b0, b1))
    n = b1 & 0x7f
    if n == 126:
        n = struct.unpack('!H', conn.recv_exact(2))[0]
        h.check(n >= 126, 'non-minimal 16-bit length %d in a server frame' % n)
    elif n == 127:
        n = struct.unpack('!Q', conn.recv_exact(8))[0]
        h.check(n >= 65536, 'non-minimal 64-bit length %d in a server frame' % n)
    fr = Frame(bool(b0 & 0x80), b0 >> 4 & 7, b0 & 0x0f, conn.recv_exact(n) if n else b'')
    h.check(fr.rsv == 0, 'RSV bits set in a server frame: %r' % fr)
    h.check(fr.op in (OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG),
        'undefined opcode in a server frame: %r' % fr)
    if fr.op >= 8:
        h.check(fr.fin and n <= 125, 'bad control frame from the server: %r' % fr)
    return fr


def expect_close(conn, code, what, timeout=10, skip_data=True):
    """
    Reads frames until the daemon's close frame; checks its code, then that the
    connection ends. Data frames before it are skipped when skip_data; pings
    are not answered. Returns the close frame.
    """
    conn.settimeout(timeout)
    for _ in range(100000):
        try:
            fr = read_frame(conn)
        except TimeoutError:
            raise h.Fail('%s: no close frame within %d s' % (what, timeout))
        if fr.op == OP_CLOSE:
            break
        if fr.op in (OP_TEXT, OP_BINARY, OP_CONT) and not skip_data:
            raise h.Fail('%s: data frame %r instead of the close frame' % (what, fr))
    else:
        raise h.Fail('%s: no close frame among 100000 frames' % what)
    h.check_eq(fr.close_code(), code, '%s: close code (reason %r)' % (what, fr.close_reason()))
    conn.wait_eof(timeout)
    return fr


class WsConn:
    """
    A WebSocket over a harness connection, seen as a byte stream: sendall sends
    one masked binary message; recv returns payload bytes of data messages as
    they come (the daemon's message boundaries are those of its backend reads,
    so only the stream is meaningful); pings are answered; the close frame
    reads as EOF, with its code kept in close_code.
    """

    def __init__(self, conn, op=OP_BINARY):
        self.conn = conn
        self.op = op
        self.buf = b''
        self.close_code = None
        self.pings = 0

    def settimeout(self, t):
        self.conn.settimeout(t)

    def sendall(self, data):
        self.conn.sendall(frame(self.op, data))

    def send_frame(self, *args, **kw):
        self.conn.sendall(frame(*args, **kw))

    def recv(self, n=65536):
        while not self.buf and self.close_code is None:
            fr = read_frame(self.conn)
            if fr.op in (OP_TEXT, OP_BINARY, OP_CONT):
                self.buf += fr.payload
            elif fr.op == OP_PING:
                self.pings += 1
                self.conn.sendall(frame(OP_PONG, fr.payload))
            elif fr.op == OP_CLOSE:
                self.close_code = fr.close_code() or 1005
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def recv_exact(self, n):
        parts, got = [], 0
        while got < n:
            d = self.recv(n - got)
            if not d:
                raise h.Fail('close frame %s after %d of %d bytes' % (self.close_code, got, n))
            parts.append(d)
            got += len(d)
        return b''.join(parts)

    def close(self, code=CLOSE_NORMAL):
        """Sends a close frame (unless the daemon closed first) and drops the connection."""
        try:
            if self.close_code is None and not self.conn.closed:
                self.conn.sendall(frame(OP_CLOSE, close_payload(code)))
        except OSError:
            pass
        self.conn.close()


def open_ws(t, port, path='/echo', tls=None, op=OP_BINARY, chosen=None, **kw):
    """
    Connects, shakes hands (Fail unless 101, answering subprotocol chosen) and
    returns a WsConn; its connection is closed at cleanup.
    """
    conn = t.connect(port, tls=tls)
    resp = handshake(conn, path, **kw)
    check_101(resp, 'handshake on %s' % path, chosen)
    return WsConn(conn, op)


class HalfHandshake:
    """
    A handshake whose first bytes are sent and taken by the daemon (its control
    client ctl sees one more accepted connection); finish() sends the rest.
    """

    def __init__(self, t, port, ctl, path='/ws', split=20):
        before = ctl.call('status')['counters']['accepted']
        self.key = new_key()
        self.request = h.upgrade_request(path, 'websocket',
            headers=handshake_headers(key=self.key))
        self.split = split
        self.conn = t.connect(port)
        self.conn.sendall(self.request[:split])
        h.wait_for(lambda: ctl.call('status')['counters']['accepted'] > before, 5,
            'the daemon to accept a half-sent handshake')

    def finish(self, what):
        """Sends the rest; Fail unless the answer is a 101. Returns a WsConn."""
        self.conn.sendall(self.request[self.split:])
        resp = h.read_response(self.conn)
        resp.key = self.key
        check_101(resp, what)
        return WsConn(self.conn)


# ---------------------------------------------------------------------------
# For library clients (python3-websockets, node-ws, Chromium)


def uri(port, path, tls):
    return '%s://127.0.0.1:%d%s' % ('wss' if tls else 'ws', port, path)


def run(coro, timeout):
    """Runs a coroutine to completion; Fail past timeout seconds."""
    async def bounded():
        try:
            return await asyncio.wait_for(coro, timeout)
        except asyncio.TimeoutError:
            raise h.Fail('timed out after %d s' % timeout)
    return asyncio.run(bounded())


def lib_connect(port, path, tls, **kw):
    """A python3-websockets client connection (an awaitable context manager)."""
    import websockets  # python3-websockets: only the tests that use it need it

    kw.setdefault('max_size', 32 << 20)
    kw.setdefault('ping_interval', None)
    kw.setdefault('open_timeout', 10)
    kw.setdefault('close_timeout', 10)
    if tls:
        kw['ssl'] = client_ssl()
        kw['server_hostname'] = 'localhost'
    return websockets.connect(uri(port, path, tls), **kw)


def client_ssl():
    """An SSL context that trusts the harness CA; use with server_hostname='localhost'."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(h.shared_ca().cert)
    return ctx


def ws_daemon(t, routes, limits=None):
    """A daemon with a TLS and a plain listener; returns (daemon, {True: tls, None: plain})."""
    tls_port, plain_port = h.free_port(), h.free_port()
    d = t.daemon(h.policy(
        [h.tls_listener('tls', tls_port, h.localhost_pair()),
         h.plain_listener('plain', plain_port)], routes, limits))
    return d, {True: tls_port, None: plain_port}


def ws_route(name, backend, path, **extra):
    """A websocket-mode route for the Upgrade token websocket; subprotocols go into match."""
    protocols = extra.pop('subprotocols', None)
    r = h.route(name, backend, path=path, upgrade='websocket', mode='websocket', **extra)
    if protocols is not None:
        r['match']['subprotocols'] = protocols
    return r
