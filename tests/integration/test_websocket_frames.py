#!/usr/bin/python3
"""websocket mode against hand-made frames: every protocol error gets its close code (1002,
1007, 1009) while another client's echo keeps working; max_message_bytes at and past the cap;
ping_interval_s keepalive (1001 for a client that never answers); a client that leaves."""

import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import wsutil as w  # noqa: E402

TLS_KINDS = ((True, 'wss'), (None, 'ws'))
CAP = 65536

suite = h.Suite('websocket frames')


def frames_daemon(t, *extra):
    return w.ws_daemon(t, [
        w.ws_route('echo', 'builtin:echo', '/echo'),
        w.ws_route('capped', 'builtin:echo', '/capped', max_message_bytes=CAP)] + list(extra))


def masked_raw(first, second, ext=b'', payload=b''):
    """A masked frame from header bytes as given (no checks), for lengths no encoder makes."""
    key = os.urandom(4)
    return bytes([first, second | 0x80]) + ext + key + w.mask_bytes(payload, key)


F = w.frame
BAD_FRAMES = [
    ('unmasked binary frame', F(w.OP_BINARY, b'hello', mask=False), 1002),
    ('unmasked ping', F(w.OP_PING, b'p', mask=False), 1002),
    ('RSV1 set', F(w.OP_BINARY, b'x', rsv=4), 1002),
    ('RSV2 set', F(w.OP_TEXT, b'x', rsv=2), 1002),
    ('RSV3 set on a ping', F(w.OP_PING, b'x', rsv=1), 1002),
    ('opcode 3', F(3, b'x'), 1002),
    ('opcode 7', F(7, b''), 1002),
    ('opcode 0xB', F(0xb, b''), 1002),
    ('opcode 0xF', F(0xf, b'x'), 1002),
    ('ping of 126 bytes', F(w.OP_PING, b'p' * 126), 1002),
    ('close of 126 bytes', F(w.OP_CLOSE, w.close_payload(1000, b'r' * 124)), 1002),
    ('fragmented ping', F(w.OP_PING, b'p', fin=False), 1002),
    ('fragmented pong', F(w.OP_PONG, b'p', fin=False), 1002),
    ('fragmented close', F(w.OP_CLOSE, w.close_payload(1000), fin=False), 1002),
    ('16-bit length for 3 bytes', F(w.OP_BINARY, b'abc', length_bytes=2), 1002),
    ('16-bit length for 125 bytes', F(w.OP_BINARY, b'a' * 125, length_bytes=2), 1002),
    ('64-bit length for 200 bytes', F(w.OP_BINARY, b'a' * 200, length_bytes=8), 1002),
    ('64-bit length for 65535 bytes', F(w.OP_BINARY, b'a' * 65535, length_bytes=8), 1002),
    ('64-bit length with its top bit set',
        masked_raw(0x82, 127, struct.pack('!Q', 1 << 63 | 5), b'abcde'), 1002),
    ('continuation without a message', F(w.OP_CONT, b'x'), 1002),
    ('final continuation without a message', F(w.OP_CONT, b'x', fin=True), 1002),
    ('text frame inside a fragmented message',
        F(w.OP_TEXT, b'a', fin=False) + F(w.OP_TEXT, b'b'), 1002),
    ('binary frame inside a fragmented message',
        F(w.OP_BINARY, b'a', fin=False) + F(w.OP_CONT, b'b', fin=False) + F(w.OP_BINARY, b'c'),
        1002),
    ('close with a 1-byte payload', F(w.OP_CLOSE, b'\x03'), 1002),
    ('close code 999', F(w.OP_CLOSE, w.close_payload(999)), 1002),
    ('close code 1004', F(w.OP_CLOSE, w.close_payload(1004)), 1002),
    ('close code 1005', F(w.OP_CLOSE, w.close_payload(1005)), 1002),
    ('close code 1006', F(w.OP_CLOSE, w.close_payload(1006)), 1002),
    ('close code 1015', F(w.OP_CLOSE, w.close_payload(1015)), 1002),
    ('close code 2000', F(w.OP_CLOSE, w.close_payload(2000)), 1002),
    ('close code 5000', F(w.OP_CLOSE, w.close_payload(5000)), 1002),
    ('text 0xff', F(w.OP_TEXT, b'ok \xff'), 1007),
    ('text overlong /', F(w.OP_TEXT, b'\xc0\xaf'), 1007),
    ('text surrogate U+D800', F(w.OP_TEXT, b'\xed\xa0\x80'), 1007),
    ('text above U+10FFFF', F(w.OP_TEXT, b'\xf4\x90\x80\x80'), 1007),
    ('text ending inside a character', F(w.OP_TEXT, b'euro \xe2\x82'), 1007),
    ('text invalid across fragments',
        F(w.OP_TEXT, b'ok \xe2\x82', fin=False) + F(w.OP_CONT, b'(ok'), 1007),
    ('fragmented text ending inside a character',
        F(w.OP_TEXT, b'ok', fin=False) + F(w.OP_CONT, b'\xf0\x9f\x98'), 1007),
    ('close reason not UTF-8', F(w.OP_CLOSE, w.close_payload(1000, b'bye \xff')), 1007),
]

TOO_BIG = [
    ('one frame of cap + 1 bytes', F(w.OP_BINARY, b'b' * (CAP + 1)), 1009),
    ('a header announcing 2^40 bytes', masked_raw(0x82, 127, struct.pack('!Q', 1 << 40)), 1009),
    ('fragments adding up to cap + 1',
        F(w.OP_TEXT, b't' * (CAP // 2), fin=False) + F(w.OP_CONT, b't' * (CAP // 2), fin=False)
        + F(w.OP_CONT, b't'), 1009),
]


def witness_for(t, port, tls):
    """An echo WebSocket pinged from its own thread; stopped at cleanup."""
    wit = h.Witness(w.open_ws(t, port, '/echo', tls))
    t.on_cleanup(wit.stop)
    return wit


def end_witness(wit, what):
    """Checks the witness, stops it and closes its WebSocket cleanly."""
    wit.check(what)
    after = wit.count
    h.wait_for(lambda: wit.count >= after + 3, 5, 'three more witness echoes after %s' % what)
    wit.check(what)
    wit.stop()
    wit.conn.conn.sendall(w.frame(w.OP_CLOSE, w.close_payload(1000)))
    w.expect_close(wit.conn.conn, 1000, 'the witness\'s close')


def expect_failure(t, port, tls, path, name, data, code):
    ws = w.open_ws(t, port, path, tls)
    ws.sendall(b'before')
    h.check_eq(ws.recv_exact(6), b'before', '%s: echo before the bad frame' % name)
    try:
        ws.conn.sendall(data)
    except OSError as e:
        # the daemon may fail the connection on the header, before the payload is in
        sent = 'sending failed: %r' % e
    else:
        sent = 'all sent'
    try:
        w.expect_close(ws.conn, code, name)
    except (h.Fail, OSError) as e:
        raise h.Fail('%s (%s)' % (e, sent))
    ws.conn.close()


@suite.case('protocol errors: each bad frame gets its close code; a witness echo goes on',
    timeout=180)
def _(t):
    d, ports = frames_daemon(t)
    for tls, kind in TLS_KINDS:
        wit = witness_for(t, ports[tls], tls)
        for name, data, code in BAD_FRAMES:
            expect_failure(t, ports[tls], tls, '/echo', '%s over %s' % (name, kind), data, code)
        end_witness(wit, 'the bad frames over %s' % kind)
    d.stop()


@suite.case('max_message_bytes: the cap passes, one byte more gets 1009; a witness goes on')
def _(t):
    d, ports = frames_daemon(t)
    for tls, kind in TLS_KINDS:
        wit = witness_for(t, ports[tls], tls)
        ws = w.open_ws(t, ports[tls], '/capped', tls)
        ws.send_frame(w.OP_BINARY, b'c' * CAP)
        h.check_eq(ws.recv_exact(CAP), b'c' * CAP, 'a message of exactly the cap')
        ws.send_frame(w.OP_TEXT, b'f' * (CAP - 1), fin=False)
        ws.send_frame(w.OP_PING, b'control frames do not count')
        ws.send_frame(w.OP_CONT, b'f')
        h.check_eq(ws.recv_exact(CAP), b'f' * CAP, 'a fragmented message of the cap')
        ws.close()
        for name, data, code in TOO_BIG:
            expect_failure(t, ports[tls], tls, '/capped', '%s over %s' % (name, kind), data,
                code)
        big = w.open_ws(t, ports[tls], '/echo', tls)
        big.sendall(b'u' * (CAP * 4))
        h.check_eq(big.recv_exact(CAP * 4), b'u' * (CAP * 4), 'no cap on the other route')
        big.close()
        end_witness(wit, 'the oversize messages over %s' % kind)
    d.stop()


@suite.case('ping_interval_s 1: a client that never answers pings is closed with 1001')
def _(t):
    d, ports = frames_daemon(t, w.ws_route('ping', 'builtin:echo', '/ping', ping_interval_s=1))
    for tls, kind in TLS_KINDS:
        ws = w.open_ws(t, ports[tls], '/ping', tls)
        start = time.monotonic()
        ws.conn.settimeout(10)
        pings = 0
        for _ in range(20):
            fr = w.read_frame(ws.conn)
            if fr.op == w.OP_CLOSE:
                break
            h.check_eq(fr.op, w.OP_PING, 'frame kind before the close (%s)' % kind)
            pings += 1
        else:
            raise h.Fail('20 frames and no close (%s)' % kind)
        took = time.monotonic() - start
        h.check_eq(fr.close_code(), w.CLOSE_GOING_AWAY, 'close code (reason %r)' %
            fr.close_reason())
        h.check(pings >= 1, 'no ping came before the close (%s)' % kind)
        h.check(1.0 <= took <= h.scaled(5.0), 'closed after %.1f s with a 1 s interval (%s)' % (
            took, kind))
        ws.conn.wait_eof(10)
    d.stop()


@suite.case('ping_interval_s 1: a client that answers pings stays; its echo works')
def _(t):
    d, ports = frames_daemon(t, w.ws_route('ping', 'builtin:echo', '/ping', ping_interval_s=1))
    for tls, kind in TLS_KINDS:
        ws = w.open_ws(t, ports[tls], '/ping', tls)
        # echo until three pings were answered: the tunnel outlives three intervals
        start = time.monotonic()
        deadline = start + h.scaled(10)
        n = 0
        while ws.pings < 3 and time.monotonic() < deadline:
            msg = b'keep %d' % n
            ws.sendall(msg)
            h.check_eq(ws.recv_exact(len(msg)), msg, 'echo %d over %s' % (n, kind))
            n += 1
            time.sleep(0.25)
        took = time.monotonic() - start
        h.check(ws.pings >= 3, 'only %d pings answered in %.1f s (%s)' % (ws.pings, took, kind))
        h.check(ws.pings <= took + 1, '%d pings in %.1f s with a 1 s interval (%s)' % (ws.pings,
            took, kind))
        ws.send_frame(w.OP_CLOSE, w.close_payload(1000))
        w.expect_close(ws.conn, 1000, 'close after the keepalive test (%s)' % kind)
    d.stop()


@suite.case('client leaves without a close frame: the backend gets its data, then EOF')
def _(t):
    rec = t.backend(h.RecordBackend)
    d, ports = frames_daemon(t, w.ws_route('rec', rec, '/rec'))
    for i, (tls, kind) in enumerate(TLS_KINDS):
        ws = w.open_ws(t, ports[tls], '/rec', tls)
        ws.sendall(b'last words')
        ws.send_frame(w.OP_TEXT, b' in ', fin=False)
        ws.send_frame(w.OP_CONT, b'pieces')
        time.sleep(0.2)
        ws.conn.close()
        r = rec.wait_record(i)
        h.check_eq(bytes(r.data), b'last words in pieces', 'bytes at the backend (%s)' % kind)
        h.check(r.eof, 'the backend saw EOF (%s)' % kind)
    d.stop()


@suite.case('backend closes, the client never answers the close frame: the daemon ends it')
def _(t):
    source = t.backend(h.SourceBackend, 1000, 4)
    d, ports = frames_daemon(t, w.ws_route('source', source, '/source'))
    for tls, kind in TLS_KINDS:
        ws = w.open_ws(t, ports[tls], '/source', tls)
        h.check_eq(ws.recv_exact(1000), h.pattern_bytes(1000, 4), 'the backend\'s bytes')
        h.check_eq(ws.recv(), b'', 'a close frame after them (%s)' % kind)
        h.check_eq(ws.close_code, 1000, 'its code (%s)' % kind)
        took = ws.conn.wait_eof(15)
        h.check(took <= h.scaled(10), 'the daemon waited %.1f s for the close frame (%s)' % (took,
            kind))
    d.stop()


@suite.case('after its close frame the client sends more: ignored, the backend never sees it')
def _(t):
    rec = t.backend(h.RecordBackend)
    d, ports = frames_daemon(t, w.ws_route('rec', rec, '/rec'))
    for i, (tls, kind) in enumerate(TLS_KINDS):
        ws = w.open_ws(t, ports[tls], '/rec', tls)
        ws.conn.sendall(w.frame(w.OP_BINARY, b'kept') + w.frame(w.OP_CLOSE, w.close_payload(1000))
            + w.frame(w.OP_BINARY, b'after close') + w.frame(w.OP_PING, b'late'))
        w.expect_close(ws.conn, 1000, 'close with trailing frames (%s)' % kind, skip_data=False)
        r = rec.wait_record(i)
        h.check_eq(bytes(r.data), b'kept', 'bytes at the backend (%s)' % kind)
        h.check(r.eof, 'the backend saw EOF (%s)' % kind)
    d.stop()


@suite.case('bursts the client sends, then waits in silence: each reaches the backend whole')
def _(t):
    # Bursts larger than the daemon's queue toward the backend, sent in one write: the
    # daemon must go on parsing what it already read once the backend took the queue,
    # without a new read event from the silent client.
    rec = t.backend(h.RecordBackend, 0)
    d, ports = frames_daemon(t, w.ws_route('rec', rec, '/rec'))
    for i, (tls, kind) in enumerate(TLS_KINDS):
        ws = w.open_ws(t, ports[tls], '/rec', tls)
        h.wait_for(lambda: rec.accepted() > i, 5, 'the backend connection')
        r = rec.records[i]
        total = 0
        for burst in range(30):
            size = (300 << 10) + burst * 23456
            piece = 1024 + burst * 97
            data = h.pattern_bytes(size, burst)
            ws.conn.sendall(b''.join(w.frame(w.OP_BINARY, data[k:k + piece])
                for k in range(0, size, piece)))
            total += size
            try:
                h.wait_for(lambda: r.count >= total, 5, 'burst %d at the backend' % burst)
            except h.Fail as e:
                raise h.Fail('%s (%s): it has %d of %d bytes' % (e, kind, r.count, total))
        ws.send_frame(w.OP_CLOSE, w.close_payload(1000))
        w.expect_close(ws.conn, 1000, 'close after the bursts (%s)' % kind)
        h.check_eq(rec.wait_record(i).count, total, 'bytes at the backend (%s)' % kind)
    d.stop()


@suite.case('a frame split into 1-byte writes is parsed; 100 frames in one write too')
def _(t):
    d, ports = frames_daemon(t)
    for tls, kind in TLS_KINDS:
        ws = w.open_ws(t, ports[tls], '/echo', tls)
        data = w.frame(w.OP_BINARY, b'z' * 300) + w.frame(w.OP_PING, b'dribble')
        for i in range(len(data)):
            ws.conn.sendall(data[i:i + 1])
        got, pongs = b'', []
        # Each dribbled byte may reach the echo alone and come back as a message of its own.
        for _ in range(1000):
            fr = w.read_frame(ws.conn)
            if fr.op == w.OP_PONG:
                pongs.append(fr.payload)
            else:
                got += fr.payload
            if pongs and len(got) >= 300:
                break
        h.check_eq(got, b'z' * 300, 'echo of a dribbled frame (%s)' % kind)
        h.check_eq(pongs, [b'dribble'], 'pong to a dribbled ping (%s)' % kind)
        burst = b''.join(w.frame(w.OP_BINARY, b'%03d' % i) for i in range(100))
        ws.conn.sendall(burst)
        want = b''.join(b'%03d' % i for i in range(100))
        h.check_eq(ws.recv_exact(len(want)), want, 'echo of 100 frames in one write')
        ws.close()
    d.stop()


suite.run()
