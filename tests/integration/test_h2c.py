#!/usr/bin/python3
"""h2c mode (RFC 7540 §3.2): curl and nghttp upgrade through the daemon to nghttpd
(GET, POST, 1 MiB, two requests on one connection, one SETTINGS ACK); what an HTTP/2
backend sees on the wire (preface, the client's SETTINGS, the request as stream 1);
refusals: HTTP2-Settings missing, twice or not base64url (400), a body over 65535 (413)."""

import base64
import hashlib
import os
import re
import struct
import subprocess
import sys

import h2.config
import h2.connection
import h2.events
import hpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('h2c upgrade')

PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
T_DATA, T_HEADERS, T_SETTINGS, T_PING = 0x0, 0x1, 0x4, 0x6
F_END_STREAM, F_ACK, F_END_HEADERS = 0x1, 0x1, 0x4
MIB = 1 << 20
# curl's own HTTP2-Settings: MAX_CONCURRENT_STREAMS 100, INITIAL_WINDOW_SIZE 32 MiB, no push
SETTINGS_B64 = 'AAMAAABkAAQCAAAAAAIAAAAA'
# Hop-by-hop headers, and Host (which becomes :authority), must not reach the backend.
DROPPED = ('connection', 'upgrade', 'http2-settings', 'keep-alive', 'proxy-connection',
    'transfer-encoding', 'host')


def run(argv, timeout=30):
    """Runs a client program; returns (exit code, stdout bytes, stderr text)."""
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr.decode(errors='replace')


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class Site:
    """nghttpd (--no-tls, --echo-upload) serving a folder, behind a daemon with an h2c route."""

    def __init__(self, t):
        self.dir = t.path('www')
        os.makedirs(self.dir)
        self.files = {'index.html': b'<p>hello over h2c</p>\n', 'big.bin': h.pattern_bytes(MIB, 11)}
        for name, data in self.files.items():
            with open(os.path.join(self.dir, name), 'wb') as f:
                f.write(data)
        self.backend_port = h.free_port()
        self.nghttpd = t.process(['nghttpd', '--no-tls', '--echo-upload', '-a', '127.0.0.1',
            '-d', self.dir, str(self.backend_port)], 'nghttpd', port=self.backend_port)
        self.port = h.free_port()
        self.daemon = t.daemon(h.policy([h.plain_listener('plain', self.port)],
            [h.route('h2', self.backend_port, upgrade='h2c', mode='h2c')]))

    def url(self, path):
        return 'http://127.0.0.1:%d%s' % (self.port, path)

    def tunnels(self):
        """h2c tunnels the daemon opened so far."""
        return len(re.findall(r'route h2: h2c to', self.daemon.log_text()))


def curl(*args, timeout=30):
    return run(['curl', '-sS', '-v', '--http2', '--max-time', str(timeout - 5)] + list(args),
        timeout=timeout)


def check_curl_upgraded(rc, err, what):
    h.check_eq(rc, 0, 'curl exit code for %s (stderr: %s)' % (what, err[-1500:]))
    h.check_in('< HTTP/1.1 101 Switching Protocols', err, 'curl saw the 101 for %s' % what)
    h.check_in('< HTTP/2 200', err, 'curl saw an HTTP/2 answer for %s' % what)


@suite.case('curl --http2: GET through the h2c route, HTTP/2 in curl\'s own output')
def _(t):
    s = Site(t)
    body = t.path('got.html')
    rc, out, err = curl('-o', body, '-w', '%{http_version} %{http_code}', s.url('/index.html'))
    check_curl_upgraded(rc, err, 'GET /index.html')
    h.check_eq(out, b'2 200', 'curl -w http_version and http_code')
    h.check_in('< Upgrade: h2c', err, '101 Upgrade header')
    with open(body, 'rb') as f:
        h.check_eq(f.read(), s.files['index.html'], 'body of /index.html')
    s.daemon.wait_log(r'route h2: h2c to 127\.0\.0\.1:%d' % s.backend_port)
    s.daemon.stop()


@suite.case('curl --http2: a POST body rides stream 1 and nghttpd echoes it')
def _(t):
    s = Site(t)
    data = h.pattern_bytes(1500, 21)
    src, back = t.path('post.bin'), t.path('back.bin')
    with open(src, 'wb') as f:
        f.write(data)
    rc, out, err = curl('--data-binary', '@' + src, '-H', 'Content-Type: application/octet-stream',
        '-o', back, '-w', '%{http_version} %{http_code}', s.url('/upload'))
    check_curl_upgraded(rc, err, 'POST /upload')
    h.check_in('> POST /upload HTTP/1.1', err, 'the upgrade request is the POST itself')
    h.check_eq(out, b'2 200', 'curl -w http_version and http_code')
    h.check_in('< nghttpd-response: echo', err, 'nghttpd answered with its echo')
    with open(back, 'rb') as f:
        h.check_eq(sha256(f.read()), sha256(data), 'sha256 of the echoed body')
    s.daemon.stop()


@suite.case('nghttp -u: 1 MiB download as stream 1, sha256 checked')
def _(t):
    s = Site(t)
    rc, out, err = run(['nghttp', '-u', '-t', '20', s.url('/big.bin')])
    h.check_eq(rc, 0, 'nghttp exit code (%s)' % err[-1500:])
    h.check_eq(len(out), MIB, 'bytes nghttp got')
    h.check_eq(sha256(out), sha256(s.files['big.bin']), 'sha256 of the download')
    s.daemon.stop()


# curl 7.88 fails an upgrade when more than 32 KiB of HTTP/2 arrive in the read that holds
# the 101 ("connection buffer size is too small to store data following HTTP Upgrade
# response header"), as they may when stream 1 is a large answer, from any h2c server.
# So curl's 1 MiB download is its second request, on stream 3.
@suite.case('curl --http2: a second request reuses the upgraded connection; 1 MiB, sha256')
def _(t):
    s = Site(t)
    a, b = t.path('a.html'), t.path('b.bin')
    rc, out, err = curl('-w', '%{http_version}:%{size_download};', '-o', a,
        s.url('/index.html'), '-o', b, s.url('/big.bin'))
    check_curl_upgraded(rc, err, 'two URLs')
    h.check_eq(out.decode(), '2:%d;2:%d;' % (len(s.files['index.html']), MIB),
        'curl http_version and size_download of both')
    h.check_eq(err.count('< HTTP/1.1 101'), 1, 'upgrades in curl\'s output')
    h.check_eq(err.count('< HTTP/2 200'), 2, 'HTTP/2 answers in curl\'s output')
    h.check(re.search(r'Re-using existing connection', err) is not None,
        'curl says it reused the connection: %s' % err[-1500:])
    with open(a, 'rb') as f:
        h.check_eq(f.read(), s.files['index.html'], 'first body')
    with open(b, 'rb') as f:
        h.check_eq(sha256(f.read()), sha256(s.files['big.bin']), 'sha256 of the second body')
    h.check_eq(s.tunnels(), 1, 'h2c tunnels the daemon opened')
    s.daemon.stop()


@suite.case('nghttp -u -v: two URLs on one connection, frames shown, exactly one SETTINGS ACK')
def _(t):
    s = Site(t)
    rc, out, err = run(['nghttp', '-u', '-v', '-n', '-t', '20', s.url('/index.html'),
        s.url('/big.bin')])
    text = out.decode(errors='replace')
    h.check_eq(rc, 0, 'nghttp exit code (%s%s)' % (text[-2000:], err[-500:]))
    h.check_in('HTTP Upgrade success', text, 'nghttp output')
    h.check_eq(text.count('] Connected'), 1, 'connections nghttp made')
    h.check_in('recv (stream_id=1) :status: 200', text, 'answer on stream 1 (the upgrade)')
    second = re.findall(r'send HEADERS frame <[^>]*stream_id=(\d+)>', text)
    h.check_eq(len(second), 1, 'HEADERS frames nghttp sent after the upgrade')
    sid = second[0]
    h.check_in('recv (stream_id=%s) :status: 200' % sid, text, 'answer on the second stream')
    got = sum(int(n) for n in re.findall(r'recv DATA frame <length=(\d+), flags=0x0\d, '
        r'stream_id=%s>' % sid, text))
    h.check_eq(got, MIB, 'DATA bytes on the second stream')
    acks = re.findall(r'recv SETTINGS frame <length=0, flags=0x01', text)
    h.check_eq(len(acks), 1, 'SETTINGS ACKs nghttp received')
    h.check_eq(len(re.findall(r'send SETTINGS frame <length=\d+, flags=0x00', text)), 1,
        'SETTINGS frames nghttp sent')
    h.check_eq(s.tunnels(), 1, 'h2c tunnels the daemon opened')
    s.daemon.stop()


@suite.case('nghttp -u -d: the upgrade goes as OPTIONS *, then the POST is echoed on a new stream')
def _(t):
    s = Site(t)
    data = h.pattern_bytes(3000, 31)
    src = t.path('post.bin')
    with open(src, 'wb') as f:
        f.write(data)
    rc, out, err = run(['nghttp', '-u', '-t', '20', '-d', src, s.url('/upload')])
    h.check_eq(rc, 0, 'nghttp exit code (%s)' % err[-1500:])
    h.check_eq(sha256(out), sha256(data), 'sha256 of the echoed body')
    rc, out, err = run(['nghttp', '-u', '-v', '-n', '-t', '20', '-d', src, s.url('/upload')])
    text = out.decode(errors='replace')
    h.check_eq(rc, 0, 'nghttp -v exit code')
    h.check_in('OPTIONS * HTTP/1.1', text, 'the upgrade request')
    post = re.findall(r'send HEADERS frame <[^>]*stream_id=(\d+)>', text)
    h.check_eq(len(post), 1, 'HEADERS frames nghttp sent after the upgrade')
    h.check_in('recv (stream_id=%s) nghttpd-response: echo' % post[0], text,
        'echo answer on the POST\'s stream')
    h.check_eq(len(re.findall(r'recv SETTINGS frame <length=0, flags=0x01', text)), 1,
        'SETTINGS ACKs nghttp received')
    s.daemon.stop()


# ---------------------------------------------------------------------------
# The wire, seen from both ends


def frames(data):
    """Splits HTTP/2 frames: [(type, flags, stream, payload)], and the incomplete rest."""
    out = []
    for _ in range(100000):
        if len(data) < 9:
            break
        length = int.from_bytes(data[:3], 'big')
        if len(data) < 9 + length:
            break
        ftype, flags = data[3], data[4]
        stream = struct.unpack('>I', data[5:9])[0] & 0x7fffffff
        out.append((ftype, flags, stream, bytes(data[9:9 + length])))
        data = data[9 + length:]
    return out, data


class H2Backend(h.Backend):
    """
    An HTTP/2 server with prior knowledge (python3-h2). Keeps the first bytes it
    got (Record.data) and every request as (stream, headers, body); answers each
    with 'stream N METHOD PATH LEN SHA256'.
    """

    def serve(self, sock, rec):
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False,
            header_encoding=None))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        rec.requests = []
        heads, bodies = {}, {}
        for _ in range(100000):
            d = sock.recv(65536)
            if not d:
                rec.eof = True
                return
            rec.add(d, self.record_limit)
            for ev in conn.receive_data(d):
                if isinstance(ev, h2.events.RequestReceived):
                    heads[ev.stream_id], bodies[ev.stream_id] = ev.headers, bytearray()
                elif isinstance(ev, h2.events.DataReceived):
                    bodies[ev.stream_id] += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    sid = ev.stream_id
                    hd = dict(heads[sid])
                    rec.requests.append((sid, heads[sid], bytes(bodies[sid])))
                    answer = ('stream %d %s %s %d %s' % (sid, hd[b':method'].decode(),
                        hd[b':path'].decode(), len(bodies[sid]), sha256(bodies[sid]))).encode()
                    conn.send_headers(sid, [(b':status', b'200'),
                        (b'content-length', str(len(answer)).encode())])
                    conn.send_data(sid, answer, end_stream=True)
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    sock.sendall(conn.data_to_send())
                    return
            out = conn.data_to_send()
            if out:
                sock.sendall(out)


class H2Client:
    """python3-h2 as an h2c client through the daemon; counts the frames it gets itself."""

    def __init__(self, conn):
        self.conn = conn
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True,
            header_encoding=None))
        self.settings = self.h2.initiate_upgrade_connection().decode()
        self.raw = b''
        self.got = []      # every frame received: (type, flags, stream, payload)
        self.answers = {}  # stream -> [headers, body, ended]

    def start(self):
        """After the 101: the preface and our SETTINGS."""
        self.conn.sendall(self.h2.data_to_send())

    def pump(self, until, what, limit=10000):
        for _ in range(limit):
            if until():
                return
            d = self.conn.recv(65536)
            if not d:
                raise h.Fail('EOF from the daemon while waiting for %s' % what)
            self.raw += d
            got, self.raw = frames(self.raw)
            self.got += got
            for ev in self.h2.receive_data(d):
                if isinstance(ev, h2.events.ResponseReceived):
                    self.answers[ev.stream_id] = [dict(ev.headers), b'', False]
                elif isinstance(ev, h2.events.DataReceived):
                    self.answers[ev.stream_id][1] += ev.data
                    self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    self.answers[ev.stream_id][2] = True
            out = self.h2.data_to_send()
            if out:
                self.conn.sendall(out)
        raise h.Fail('%s did not come' % what)

    def answer(self, sid):
        self.pump(lambda: sid in self.answers and self.answers[sid][2], 'the answer on stream %d'
            % sid)
        return self.answers[sid]

    def barrier(self):
        """A PING round trip: whatever the backend sent before its PING ACK is in by then."""
        self.h2.ping(b'barrier!')
        self.conn.sendall(self.h2.data_to_send())
        self.pump(lambda: any(f[0] == T_PING and f[1] & F_ACK for f in self.got), 'the PING ACK')

    def settings_acks(self):
        return sum(1 for f in self.got if f[0] == T_SETTINGS and f[1] & F_ACK)


def h2c_request(method, path, settings, headers=(), body=None):
    lines = ['%s %s HTTP/1.1' % (method, path), 'Host: h2c.example:8080',
        'Connection: Upgrade, HTTP2-Settings, Keep-Alive', 'Upgrade: h2c',
        'HTTP2-Settings: %s' % settings, 'Keep-Alive: timeout=5']
    lines += ['%s: %s' % kv for kv in headers]
    if body is not None:
        lines.append('Content-Length: %d' % len(body))
    return ('\r\n'.join(lines) + '\r\n\r\n').encode() + (body or b'')


def wire_setup(t):
    be = t.backend(H2Backend)
    port = h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('h2', be, upgrade='h2c', mode='h2c')]))
    return be, port, d


def upgraded_client(t, port, method, path, body=None, headers=(), expect_100=False):
    conn = t.connect(port)
    cl = H2Client(conn)
    if expect_100:
        conn.sendall(h2c_request(method, path, cl.settings, headers, body)[:-len(body)])
        resp = h.read_head(conn)
        h.check_eq((resp.status, resp.reason), (100, 'Continue'), 'answer to Expect')
        conn.sendall(body)
    else:
        conn.sendall(h2c_request(method, path, cl.settings, headers, body))
    resp = h.read_head(conn)
    h.check_eq(resp.status, 101, 'status of the h2c upgrade')
    h.check_eq(resp.header('Upgrade'), 'h2c', 'Upgrade header of the 101')
    h.check_eq((resp.header('Connection') or '').lower(), 'upgrade', 'Connection header')
    cl.start()
    return cl


def backend_preamble(be, settings_b64):
    """Checks the backend's first bytes; returns the frames after the preface."""
    h.wait_for(lambda: be.accepted() and len(frames(bytes(be.records[0].data[24:]))[0]) >= 3,
        10, 'the backend to get the preface and three frames')
    data = bytes(be.records[0].data)
    h.check_eq(data[:24], PREFACE, 'the backend\'s first 24 bytes')
    h.check_eq(data.count(PREFACE), 1, 'connection prefaces the backend got')
    got, _ = frames(data[24:])
    ftype, flags, stream, payload = got[0]
    h.check_eq((ftype, flags, stream), (T_SETTINGS, 0, 0), 'first frame: SETTINGS on stream 0')
    want = base64.urlsafe_b64decode(settings_b64 + '=' * (-len(settings_b64) % 4))
    h.check_eq(payload, want, 'the SETTINGS payload is the client\'s HTTP2-Settings')
    return got[1:]


def check_stream1_headers(frame, end_stream):
    ftype, flags, stream, block = frame
    h.check_eq((ftype, stream), (T_HEADERS, 1), 'second frame: HEADERS on stream 1')
    h.check(flags & F_END_HEADERS, 'END_HEADERS on the stream 1 HEADERS (flags %#x)' % flags)
    h.check_eq(bool(flags & F_END_STREAM), end_stream, 'END_STREAM on the stream 1 HEADERS')
    dec = hpack.Decoder()
    headers = dec.decode(block, raw=True)
    h.check_eq(len(dec.header_table.dynamic_entries), 0,
        'entries the request added to the backend\'s HPACK dynamic table')
    return headers


@suite.case('wire: the backend gets preface, the client\'s SETTINGS, then the GET as stream 1')
def _(t):
    be, port, d = wire_setup(t)
    cl = upgraded_client(t, port, 'GET', '/api/items?x=1', headers=[('TE', 'trailers'),
        ('X-Custom', 'kept'), ('Proxy-Connection', 'keep-alive'), ('Accept', '*/*')])
    hd, body, _ = cl.answer(1)
    h.check_eq(hd.get(b':status'), b'200', 'status on stream 1')
    h.check_eq(body.split(b' ')[:4], [b'stream', b'1', b'GET', b'/api/items?x=1'], 'answer')
    rest = backend_preamble(be, cl.settings)
    headers = check_stream1_headers(rest[0], True)
    names = [k.decode() for k, v in headers]
    pseudo = [n for n in names if n.startswith(':')]
    h.check_eq(sorted(pseudo), [':authority', ':method', ':path', ':scheme'], 'pseudo-headers')
    h.check_eq(names[:4], pseudo, 'pseudo-headers before the others')
    hd = {k.decode(): v.decode() for k, v in headers}
    h.check_eq((hd[':method'], hd[':scheme'], hd[':authority'], hd[':path']),
        ('GET', 'http', 'h2c.example:8080', '/api/items?x=1'), 'pseudo-header values')
    for name in DROPPED:
        h.check(name not in hd, 'header %r reached the backend: %r' % (name, headers))
    h.check_eq((hd.get('te'), hd.get('x-custom'), hd.get('accept')), ('trailers', 'kept', '*/*'),
        'end-to-end headers kept')
    h.check_eq(names, [n.lower() for n in names], 'header names in lower case')
    # After stream 1: the client's own SETTINGS (its preface stripped), then a second stream.
    cl.h2.send_headers(3, [(b':method', b'GET'), (b':scheme', b'http'),
        (b':authority', b'h2c.example:8080'), (b':path', b'/second')], end_stream=True)
    cl.conn.sendall(cl.h2.data_to_send())
    hd, body, _ = cl.answer(3)
    h.check_eq(body.split(b' ')[:4], [b'stream', b'3', b'GET', b'/second'], 'second answer')
    cl.barrier()
    h.check_eq(cl.settings_acks(), 1, 'SETTINGS ACKs the client received')
    h.check_eq(be.accepted(), 1, 'backend connections')
    cl.conn.close()
    d.stop()


def post_limit_case(t, expect_100):
    be, port, d = wire_setup(t)
    data = h.pattern_bytes(65535, 41)
    headers = [('Content-Type', 'application/octet-stream')]
    if expect_100:
        headers.append(('Expect', '100-continue'))
    cl = upgraded_client(t, port, 'POST', '/upload', body=data, headers=headers,
        expect_100=expect_100)
    hd, body, _ = cl.answer(1)
    h.check_eq(body.decode().split(' '), ['stream', '1', 'POST', '/upload', '65535', sha256(data)],
        'the backend\'s account of stream 1')
    rest = backend_preamble(be, cl.settings)
    headers = dict((k.decode(), v.decode()) for k, v in check_stream1_headers(rest[0], False))
    h.check_eq(headers.get('content-length'), '65535', 'content-length on stream 1')
    h.check_eq(headers.get('content-type'), 'application/octet-stream', 'content-type')
    sent, ended = b'', False
    for ftype, flags, stream, payload in rest[1:]:
        if ftype != T_DATA or stream != 1:
            continue
        h.check(not ended, 'DATA on stream 1 after END_STREAM')
        h.check(len(payload) <= 16384, 'a DATA frame of %d bytes (max frame size 16384)' %
            len(payload))
        sent += payload
        ended = bool(flags & F_END_STREAM)
    h.check(ended, 'END_STREAM on the last DATA frame of stream 1')
    h.check_eq(sha256(sent), sha256(data), 'the body in the DATA frames')
    cl.barrier()
    h.check_eq(cl.settings_acks(), 1, 'SETTINGS ACKs the client received')
    cl.conn.close()
    d.stop()


@suite.case('wire: a POST body of 65535 bytes (the limit) follows as DATA on stream 1')
def _(t):
    post_limit_case(t, False)


@suite.case('wire: Expect: 100-continue gets 100 before the body, then 101 and stream 1')
def _(t):
    post_limit_case(t, True)


# ---------------------------------------------------------------------------
# Refusals


def refused(t, port, raw, status, words):
    conn = t.connect(port)
    conn.sendall(raw)
    resp = h.read_response(conn)
    h.check_eq(resp.status, status, 'status')
    text = resp.body.decode(errors='replace')
    for w in words:
        h.check_in(w, text, 'reason in the body')
    conn.wait_eof(5)
    conn.close()


@suite.case('400: HTTP2-Settings missing, twice, or not base64url; nothing reaches the backend')
def _(t):
    be, port, d = wire_setup(t)
    req = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n'
    refused(t, port, (req + '\r\n').encode(), 400, ['HTTP2-Settings'])
    refused(t, port, (req + 'HTTP2-Settings: %s\r\nHTTP2-Settings: %s\r\n\r\n' % (SETTINGS_B64,
        SETTINGS_B64)).encode(), 400, ['exactly one HTTP2-Settings'])
    for bad in ('AAMA*ABkAAQ', 'AAMAAABkAAQCAAAAAAIAAAAA==x', 'AAMAAABk+AQCAAAAAAIAAAA/'):
        refused(t, port, (req + 'HTTP2-Settings: %s\r\n\r\n' % bad).encode(), 400,
            ['HTTP2-Settings', 'base64'])
    # base64url, but 4 bytes: a SETTINGS payload is a multiple of 6 bytes long
    refused(t, port, (req + 'HTTP2-Settings: AAMAAA\r\n\r\n').encode(), 400, ['HTTP2-Settings'])
    h.check_eq(be.accepted(), 0, 'backend connections after the refusals')
    cl = upgraded_client(t, port, 'GET', '/after')
    h.check_eq(cl.answer(1)[1].split(b' ')[:4], [b'stream', b'1', b'GET', b'/after'],
        'an upgrade after the refusals')
    cl.conn.close()
    d.stop()


@suite.case('413: an h2c request body of 65536 bytes, raw and from curl')
def _(t):
    be, port, d = wire_setup(t)
    body = h.pattern_bytes(65536, 51)
    refused(t, port, h2c_request('POST', '/upload', SETTINGS_B64, body=body), 413,
        ['65535'])
    src = t.path('big-post.bin')
    with open(src, 'wb') as f:
        f.write(body)
    rc, out, err = run(['curl', '-sS', '--http2', '--max-time', '20', '--data-binary', '@' + src,
        '-o', '/dev/null', '-w', '%{http_code} %{http_version}',
        'http://127.0.0.1:%d/upload' % port], timeout=30)
    h.check_eq(out, b'413 1.1', 'curl: status and HTTP version of the answer (%s)' % err)
    h.check_eq(be.accepted(), 0, 'backend connections after the refusals')
    d.stop()


if __name__ == '__main__':
    suite.run()
