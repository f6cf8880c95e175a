#!/usr/bin/python3
"""websocket mode with real client libraries (python3-websockets, node-ws) over wss:// and
ws://: echo, many messages, a 16 MiB message, ping/pong, the close handshake both ways,
backend errors, and every handshake refusal with its status, headers and reason."""

import asyncio
import hashlib
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import wsutil as w  # noqa: E402

import websockets  # noqa: E402  (python3-websockets)

NODE_WS = '/usr/share/nodejs/ws'
TLS_KINDS = ((True, 'wss'), (None, 'ws'))

suite = h.Suite('websocket')


run, connect = w.run, w.lib_connect


async def recv_stream(ws, n, kind):
    """Messages until n bytes (or characters) came; each must be of type kind."""
    parts, got, count = [], 0, 0
    while got < n:
        m = await ws.recv()
        h.check(isinstance(m, kind), 'message %d is %s, not %s' % (count, type(m).__name__,
            kind.__name__))
        h.check(len(m) > 0, 'empty message %d' % count)
        parts.append(m)
        got += len(m)
        count += 1
    h.check_eq(got, n, 'length of the echoed stream')
    return (b'' if kind is bytes else '').join(parts)


def echo_routes(*extra):
    return [w.ws_route('echo', 'builtin:echo', '/echo'),
            w.ws_route('text', 'builtin:echo', '/text', text_messages=True)] + list(extra)


@suite.case('handshake: 101 with Upgrade, Connection and the right Sec-WebSocket-Accept')
def _(t):
    d, ports = w.ws_daemon(t, echo_routes())
    for tls, name in TLS_KINDS:
        conn = t.connect(ports[tls], tls=tls)
        resp = w.handshake(conn, '/echo')
        w.check_101(resp, 'the %s handshake' % name)
        h.check_eq(resp.body, b'', 'body of the 101')
        ws = w.WsConn(conn)
        ws.sendall(b'first')
        h.check_eq(ws.recv_exact(5), b'first', 'first echo over %s' % name)
        ws.close()
    d.stop()


@suite.case('text and binary echo over wss:// and ws:// (python3-websockets)')
def _(t):
    d, ports = w.ws_daemon(t, echo_routes())

    async def body(port, tls):
        async with connect(port, '/echo', tls) as ws:
            await ws.send(b'\x00\x01binary\xff')
            h.check_eq(await recv_stream(ws, 9, bytes), b'\x00\x01binary\xff', 'binary echo')
            await ws.send('h\u00e9llo \u20ac')
            h.check_eq(await recv_stream(ws, 10, bytes), 'h\u00e9llo \u20ac'.encode(),
                'text in, its UTF-8 bytes back as binary')
        h.check_eq(ws.close_code, 1000, 'close code')
        async with connect(port, '/text', tls) as ws:
            await ws.send('h\u00e9llo \u20ac')
            h.check_eq(await recv_stream(ws, 7, str), 'h\u00e9llo \u20ac', 'text echo')
            await ws.send(b'plain ascii')
            h.check_eq(await recv_stream(ws, 11, str), 'plain ascii',
                'binary in, text back on a text_messages route')
    for tls, name in TLS_KINDS:
        run(body(ports[tls], tls), 20)
    d.stop()


@suite.case('text_messages: multi-byte characters split by backend reads stay valid text')
def _(t):
    d, ports = w.ws_daemon(t, echo_routes())
    rng = random.Random(3)
    alphabet = 'a\u00e9\u20ac\U0001f600'  # 1, 2, 3 and 4 bytes in UTF-8
    text = ''.join(rng.choice(alphabet) for _ in range(400000))

    async def body(port, tls):
        async with connect(port, '/text', tls) as ws:
            for i in range(0, len(text), 50000):
                await ws.send(text[i:i + 50000])
            back = await recv_stream(ws, len(text), str)
            h.check(back == text, 'the echoed text differs from what was sent')
    for tls, name in TLS_KINDS:
        run(body(ports[tls], tls), 60)
    d.stop()


class ScriptBackend(h.Backend):
    """Writes each (bytes, pause seconds) of a script in turn, then closes its side."""

    def __init__(self, script):
        super().__init__()
        self.script = script

    def serve(self, sock, rec):
        for data, pause in self.script:
            sock.sendall(data)
            time.sleep(pause)
        sock.shutdown(socket.SHUT_WR)
        self.read_to_eof(sock, rec)


def text_frames_until_close(ws, what):
    """The text payloads the daemon sends, then its close frame."""
    texts = []
    for _ in range(100):
        fr = w.read_frame(ws.conn)
        if fr.op == w.OP_CLOSE:
            return texts, fr
        h.check_eq(fr.op, w.OP_TEXT, '%s: frame kind' % what)
        texts.append(fr.payload)
    raise h.Fail('%s: no close frame among 100 frames' % what)


@suite.case('text_messages: a character cut by the backend waits for its end; non-UTF-8 is 1011')
def _(t):
    cut = t.backend(ScriptBackend, [(b'price: \xe2\x82', 0.3), (b'\xac 5', 0.3),
        (b' \xf0\x9f', 0.3), (b'\x98\x80', 0)])
    invalid = t.backend(ScriptBackend, [(b'fine', 0.3), (b' \xff then more', 0)])
    truncated = t.backend(ScriptBackend, [(b'ends in \xe2\x82', 0)])
    d, ports = w.ws_daemon(t, [
        w.ws_route('cut', cut, '/cut', text_messages=True),
        w.ws_route('invalid', invalid, '/invalid', text_messages=True),
        w.ws_route('truncated', truncated, '/truncated', text_messages=True)])
    for tls, name in TLS_KINDS:
        ws = w.open_ws(t, ports[tls], '/cut', tls)
        texts, fr = text_frames_until_close(ws, 'cut characters over %s' % name)
        for p in texts:
            p.decode('utf-8')  # each message on its own must be UTF-8
        h.check_eq(b''.join(texts), 'price: \u20ac 5 \U0001f600'.encode(), 'text over %s' % name)
        h.check_eq(fr.close_code(), 1000, 'close after the backend\'s EOF over %s' % name)
        ws.conn.sendall(w.frame(w.OP_CLOSE, w.close_payload(1000)))
        ws.conn.wait_eof(10)
        for path, before in (('/invalid', b'fine'), ('/truncated', b'ends in ')):
            ws = w.open_ws(t, ports[tls], path, tls)
            texts, fr = text_frames_until_close(ws, '%s over %s' % (path, name))
            h.check_eq(b''.join(texts), before, 'text before the bad bytes, %s over %s' %
                (path, name))
            h.check_eq(fr.close_code(), w.CLOSE_INTERNAL, 'close code for %s over %s (reason '
                '%r)' % (path, name, fr.close_reason()))
            ws.conn.wait_eof(10)
    d.stop()


@suite.case('1,000 messages in a row: one at a time, then pipelined (wss)', timeout=120)
def _(t):
    d, ports = w.ws_daemon(t, echo_routes())
    rng = random.Random(11)
    msgs = [rng.randbytes(rng.randrange(1, 2000)) for _ in range(1000)]

    async def body(port):
        async with connect(port, '/echo', True) as ws:
            for i, m in enumerate(msgs):
                await ws.send(m)
                h.check_eq(await recv_stream(ws, len(m), bytes), m, 'echo of message %d' % i)
            total = sum(len(m) for m in msgs)

            async def sender():
                for i, m in enumerate(msgs):
                    await ws.send(m if i % 2 else m.hex())
            task = asyncio.ensure_future(sender())
            expect = b''.join(m if i % 2 else m.hex().encode() for i, m in enumerate(msgs))
            back = await recv_stream(ws, len(expect), bytes)
            await task
            h.check(back == expect, 'the pipelined stream (%d bytes of %d messages, text and '
                'binary) came back different' % (total, len(msgs)))
    run(body(ports[True]), 90)
    d.stop()


@suite.case('one 16 MiB message echoed, wss and ws; the backend gets its exact bytes',
    timeout=120)
def _(t):
    sink = t.backend(h.HalfCloseBackend)
    d, ports = w.ws_daemon(t, echo_routes(w.ws_route('sink', sink, '/sink')))
    big = h.pattern_bytes(16 << 20, 21)
    want = hashlib.sha256(big).hexdigest()

    async def echo(port, tls):
        async with connect(port, '/echo', tls, max_size=32 << 20) as ws:
            await ws.send(big)
            back = await recv_stream(ws, len(big), bytes)
            h.check_eq(hashlib.sha256(back).hexdigest(), want, 'SHA-256 of the echo')

    async def upload(port, tls):
        async with connect(port, '/sink', tls, max_size=32 << 20) as ws:
            await ws.send(big)
        h.check_eq(ws.close_code, 1000, 'close code after the upload')
    for i, (tls, name) in enumerate(TLS_KINDS):
        run(echo(ports[tls], tls), 60)
        run(upload(ports[tls], tls), 60)
        rec = sink.wait_record(i)
        h.check(rec.eof, 'the backend saw EOF after the client\'s close')
        h.check_eq((rec.count, rec.digest()), (len(big), want), 'bytes the backend got')
    d.stop()


@suite.case('ping/pong: pongs carry the ping payload, also between fragments of a message')
def _(t):
    d, ports = w.ws_daemon(t, echo_routes())

    async def lib(port, tls):
        async with connect(port, '/echo', tls) as ws:
            for payload in (b'', b'p' * 125, b'\x00\xff'):
                waiter = await ws.ping(payload)
                await asyncio.wait_for(waiter, 5)
    for tls, name in TLS_KINDS:
        run(lib(ports[tls], tls), 20)
        ws = w.open_ws(t, ports[tls], '/echo', tls)
        for payload in (b'', b'x' * 125, bytes(range(100))):
            ws.send_frame(w.OP_PING, payload)
            fr = w.read_frame(ws.conn)
            h.check_eq((fr.op, fr.payload), (w.OP_PONG, payload), 'answer to a ping')
        ws.send_frame(w.OP_TEXT, 'frag', fin=False)
        ws.send_frame(w.OP_PING, b'between')
        ws.send_frame(w.OP_CONT, ' \u20ac'.encode()[:2], fin=False)
        ws.send_frame(w.OP_PONG, b'unsolicited')
        ws.send_frame(w.OP_CONT, ' \u20ac'.encode()[2:] + b'ment')
        got, pong = b'', None
        for _ in range(20):
            fr = w.read_frame(ws.conn)
            if fr.op == w.OP_PONG:
                pong = fr.payload
            else:
                got += fr.payload
            if pong is not None and len(got) == len('frag \u20acment'.encode()):
                break
        h.check_eq(pong, b'between', 'pong to the ping between fragments')
        h.check_eq(got, 'frag \u20acment'.encode(), 'the fragmented message')
        ws.close()
    d.stop()


@suite.case('client close: the code comes back, the backend gets the data, then EOF')
def _(t):
    rec_backend = t.backend(h.RecordBackend)
    d, ports = w.ws_daemon(t, [w.ws_route('rec', rec_backend, '/rec')])

    async def lib(port, tls):
        async with connect(port, '/rec', tls) as ws:
            await ws.send(b'one ')
            await ws.send('two')
            await ws.close(4001, 'bye')
        h.check_eq(ws.close_code, 4001, 'close code the daemon sent back')
    index = 0
    for tls, name in TLS_KINDS:
        run(lib(ports[tls], tls), 20)
        rec = rec_backend.wait_record(index)
        index += 1
        h.check(rec.eof, 'the backend saw EOF (%s)' % name)
        h.check_eq(bytes(rec.data), b'one two', 'what the backend got (%s)' % name)
        for code, reason in ((1000, b'done'), (3000, b''), (4999, b'\xc3\xa9')):
            ws = w.open_ws(t, ports[tls], '/rec', tls)
            ws.sendall(b'raw')
            ws.send_frame(w.OP_CLOSE, w.close_payload(code, reason))
            w.expect_close(ws.conn, code, 'close %d over %s' % (code, name),
                skip_data=False)
            rec = rec_backend.wait_record(index)
            index += 1
            h.check(rec.eof and bytes(rec.data) == b'raw', 'the backend got %r then EOF=%s' %
                (bytes(rec.data), rec.eof))
        ws = w.open_ws(t, ports[tls], '/rec', tls)
        ws.send_frame(w.OP_CLOSE, b'')
        fr = w.read_frame(ws.conn)
        h.check(fr.op == w.OP_CLOSE and fr.close_code() in (None, 1000),
            'answer to a close frame without a code: %r' % fr)
        ws.conn.wait_eof(10)
        rec_backend.wait_record(index)
        index += 1
    d.stop()


@suite.case('backend closes: its bytes arrive, then close 1000')
def _(t):
    total = 1 << 20
    source = t.backend(h.SourceBackend, total, 9)
    d, ports = w.ws_daemon(t, [w.ws_route('source', source, '/source')])

    async def lib(port, tls):
        async with connect(port, '/source', tls) as ws:
            back = await recv_stream(ws, total, bytes)
            h.check_eq(hashlib.sha256(back).hexdigest(), h.pattern_sha256(total, 9),
                'SHA-256 of the backend\'s bytes')
            await asyncio.wait_for(ws.wait_closed(), 10)
        h.check_eq(ws.close_code, 1000, 'close code after the backend\'s EOF')
    for tls, name in TLS_KINDS:
        run(lib(ports[tls], tls), 30)
        ws = w.open_ws(t, ports[tls], '/source', tls)
        h.check_eq(hashlib.sha256(ws.recv_exact(total)).hexdigest(),
            h.pattern_sha256(total, 9), 'SHA-256 read raw over %s' % name)
        h.check_eq(ws.recv(), b'', 'the stream ends with a close frame')
        h.check_eq(ws.close_code, 1000, 'close code over %s' % name)
        ws.conn.sendall(w.frame(w.OP_CLOSE, w.close_payload(1000)))
        ws.conn.wait_eof(10)
    d.stop()


class ResetBackend(h.Backend):
    """Reads the first bytes, then resets the connection (SO_LINGER 0)."""

    def serve(self, sock, rec):
        rec.add(sock.recv(1024), 1024)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))


@suite.case('backend error: a reset backend connection gives close 1011')
def _(t):
    reset = t.backend(ResetBackend)
    d, ports = w.ws_daemon(t, echo_routes(w.ws_route('reset', reset, '/reset')))
    for tls, name in TLS_KINDS:
        ws = w.open_ws(t, ports[tls], '/reset', tls)
        ws.sendall(b'hello')
        w.expect_close(ws.conn, w.CLOSE_INTERNAL, 'reset backend over %s' % name)
        other = w.open_ws(t, ports[tls], '/echo', tls)
        other.sendall(b'alive')
        h.check_eq(other.recv_exact(5), b'alive', 'echo after the reset')
        other.close()
    d.stop()


# ---------------------------------------------------------------------------
# Refusals


def refusal_daemon(t):
    return w.ws_daemon(t, echo_routes(
        w.ws_route('proto', 'builtin:echo', '/proto', subprotocols=['binary', 'base64']),
        w.ws_route('origin', 'builtin:echo', '/origin', origins=['https://app.example']),
        w.ws_route('denied', 'builtin:echo', '/denied', allow=['10.0.0.0/8', '::1/128'])))


def refused(t, port, tls, path, status, words, method='GET', **kw):
    """One refused handshake: status, reason in the body, Connection: close, then EOF."""
    conn = t.connect(port, tls=tls)
    resp = w.handshake(conn, path, method=method, **kw)
    what = '%s %s %s (%s)' % (method, path, kw, 'wss' if tls else 'ws')
    h.check_eq(resp.status, status, 'status of %s, body %r' % (what, resp.body))
    body = resp.body.decode(errors='replace')
    h.check(body.startswith('%d ' % status), '%s: body %r starts with the status' % (what, body))
    for word in words:
        h.check_in(word, body, '%s: reason in the body' % what)
    h.check_in('close', (resp.header('Connection') or '').lower(), '%s: Connection' % what)
    h.check_eq(resp.header('Sec-WebSocket-Accept'), None, '%s: Sec-WebSocket-Accept' % what)
    conn.wait_eof(5)
    conn.close()
    return resp


def still_serves(t, ports):
    for tls, name in TLS_KINDS:
        ws = w.open_ws(t, ports[tls], '/echo', tls)
        ws.sendall(b'ok')
        h.check_eq(ws.recv_exact(2), b'ok', 'echo after the refusals (%s)' % name)
        ws.close()


@suite.case('refusal 400: Sec-WebSocket-Key missing or not 16 bytes of base64')
def _(t):
    d, ports = refusal_daemon(t)
    for tls, name in TLS_KINDS:
        refused(t, ports[tls], tls, '/echo', 400, ['missing Sec-WebSocket-Key'], key=None)
        for key in ('abc', 'AAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAAAAAA==',
                'AAAAAAAAAAAAAAAAAAAA====', 'AAAAAAAAAAAAAAAAAAAAA!=='):
            refused(t, ports[tls], tls, '/echo', 400, ['Sec-WebSocket-Key', '16 bytes'],
                key=key)
    still_serves(t, ports)
    d.stop()


@suite.case('refusal 426: Sec-WebSocket-Version missing or not 13, with the version to use')
def _(t):
    d, ports = refusal_daemon(t)
    for tls, name in TLS_KINDS:
        for version in (None, '8', '12', '14', '13, 8'):
            resp = refused(t, ports[tls], tls, '/echo', 426, ['Sec-WebSocket-Version', '13'],
                version=version)
            h.check_eq(resp.header('Sec-WebSocket-Version'), '13',
                'Sec-WebSocket-Version of the 426 (version %r)' % version)
            h.check_in('websocket', (resp.header('Upgrade') or '').lower(),
                'Upgrade header of the 426')
    still_serves(t, ports)
    d.stop()


@suite.case('refusal 400: a route that needs a subprotocol, none offered or none fits')
def _(t):
    d, ports = refusal_daemon(t)
    for tls, name in TLS_KINDS:
        refused(t, ports[tls], tls, '/proto', 400, ['subprotocol', 'none'])
        refused(t, ports[tls], tls, '/proto', 400, ['subprotocol', 'chat, mqtt'],
            protocols='chat, mqtt')
        for offered, chosen in (('base64', 'base64'), ('chat, binary', 'binary'),
                ('base64, binary', 'base64')):
            ws = w.open_ws(t, ports[tls], '/proto', tls, chosen=chosen, protocols=offered)
            ws.sendall(b'sub')
            h.check_eq(ws.recv_exact(3), b'sub', 'echo with subprotocol %s' % chosen)
            ws.close()
        w.open_ws(t, ports[tls], '/echo', tls, chosen=None, protocols='chat').close()
    still_serves(t, ports)
    d.stop()


@suite.case('refusal 403: Origin missing or not in the route\'s origins')
def _(t):
    d, ports = refusal_daemon(t)
    for tls, name in TLS_KINDS:
        refused(t, ports[tls], tls, '/origin', 403, ['origin', 'https://evil.example'],
            origin='https://evil.example')
        refused(t, ports[tls], tls, '/origin', 403, ['origin missing'])
        ws = w.open_ws(t, ports[tls], '/origin', tls, origin='https://app.example')
        ws.sendall(b'from the app')
        h.check_eq(ws.recv_exact(12), b'from the app', 'echo for an allowed origin')
        ws.close()
    still_serves(t, ports)
    d.stop()


@suite.case('refusal 403: client address outside the route\'s allow list')
def _(t):
    d, ports = refusal_daemon(t)
    for tls, name in TLS_KINDS:
        refused(t, ports[tls], tls, '/denied', 403, ['not allowed', 'denied'])
    still_serves(t, ports)
    d.stop()


@suite.case('refusal 400: a handshake with another method than GET')
def _(t):
    d, ports = refusal_daemon(t)
    for tls, name in TLS_KINDS:
        for method in ('POST', 'PUT', 'OPTIONS', 'DELETE'):
            refused(t, ports[tls], tls, '/echo', 400, ['GET', method], method=method)
    still_serves(t, ports)
    d.stop()


@suite.case('refusals as python3-websockets sees them: InvalidStatusCode with the status')
def _(t):
    d, ports = refusal_daemon(t)

    async def body(port, tls):
        for path, kw, status in (('/origin', {'origin': 'https://evil.example'}, 403),
                ('/proto', {'subprotocols': ['chat']}, 400), ('/denied', {}, 403),
                ('/nothing', {}, 404)):
            try:
                async with connect(port, path, tls, **kw):
                    pass
            except websockets.exceptions.InvalidStatusCode as e:
                h.check_eq(e.status_code, status, 'status for %s' % path)
            else:
                raise h.Fail('%s %s was accepted' % (path, kw))
        async with connect(port, '/proto', tls, subprotocols=['chat', 'binary']) as ws:
            h.check_eq(ws.subprotocol, 'binary', 'the chosen subprotocol')
    for tls, name in TLS_KINDS:
        run(body(ports[tls], tls), 30)
    d.stop()


# ---------------------------------------------------------------------------
# node-ws


NODE_CLIENT = r'''
const WebSocket = require(process.env.NODE_WS);
const [url, path, mode] = process.argv.slice(2);
// a text_messages route sends back text, so send it valid UTF-8 only
const big = Buffer.alloc(1 << 20);
for (let i = 0; i < big.length; i++)
  big[i] = mode === 'text' ? 32 + (i * 7 + (i >> 9)) % 95 : (i * 7 + (i >> 9)) & 255;
const small = mode === 'text' ? Buffer.from('binary \u20ac') : Buffer.from([0, 1, 2, 254, 255]);
const sends = [Buffer.from('h\u00e9llo from node'), small, big];
const want = Buffer.concat(sends);
const result = { kinds: [], bytes: 0, equal: false, code: null };
const ws = new WebSocket(url + path, { rejectUnauthorized: false });
let got = [];
ws.on('open', () => {
  ws.send(sends[0].toString());       // a text message
  ws.send(sends[1]);                  // binary
  ws.send(sends[2]);
});
ws.on('message', (data, isBinary) => {
  result.kinds.push(isBinary ? 'binary' : 'text');
  got.push(Buffer.from(data));
  result.bytes += data.length;
  if (result.bytes >= want.length) {
    result.equal = Buffer.concat(got).equals(want);
    ws.close(1000, 'node done');
  }
});
ws.on('close', (code, reason) => {
  result.code = code;
  result.reason = reason.toString();
  result.kinds = [...new Set(result.kinds)];
  console.log(JSON.stringify(result));
  process.exit(0);
});
ws.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(1); });
setTimeout(() => { console.log(JSON.stringify({ error: 'timeout', result })); process.exit(2); },
  20000);
'''


@suite.case('node-ws: text and binary echo over wss:// (and ws://), rejectUnauthorized false')
def _(t):
    if not os.path.isdir(NODE_WS):
        raise h.Skip('node-ws is not installed (no %s: Debian packages nodejs and node-ws)' %
            NODE_WS)
    d, ports = w.ws_daemon(t, echo_routes())
    script = t.path('client.js')
    with open(script, 'w') as f:
        f.write(NODE_CLIENT)
    env = dict(os.environ, NODE_WS=NODE_WS)
    for tls, name in TLS_KINDS:
        for path, kind in (('/echo', 'binary'), ('/text', 'text')):
            base = '%s://127.0.0.1:%d' % (name, ports[tls])
            r = subprocess.run(['node', script, base, path, kind], capture_output=True, text=True,
                timeout=30, env=env)
            what = 'node client on %s%s' % (base, path)
            h.check_eq(r.returncode, 0, '%s exit code (out %r, err %r)' % (what, r.stdout,
                r.stderr))
            res = json.loads(r.stdout.strip().splitlines()[-1])
            h.check(res['equal'], '%s: the echo differs: %r' % (what, res))
            h.check_eq(res['kinds'], [kind], '%s: message kinds' % what)
            h.check_eq(res['code'], 1000, '%s: close code' % what)
    d.stop()


suite.run()
