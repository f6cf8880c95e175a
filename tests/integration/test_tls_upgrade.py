#!/usr/bin/python3
"""tls mode (RFC 2817): ipptool -E through the daemon to ippeveprinter, which speaks plain
IPP only; a Python client: the exact 101, a TLS handshake with the route's certificate, the
original request replayed to the backend without its upgrade headers, the answer inside
TLS, then bytes both ways; a ClientHello sent right behind the request; a failed or
missing handshake; and --check refusing a tls route on a TLS listener."""

import os
import re
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('RFC 2817 TLS upgrade')

TOKENS = 'TLS/1.2, TLS/1.1, TLS/1.0'
ROUTE_CN = 'upgrade.test'


_pair = []


def route_pair():
    """The tls route's own certificate (CN upgrade.test), from the shared CA; one per run."""
    if not _pair:
        _pair.append(h.shared_ca().issue(ROUTE_CN, dns=[ROUTE_CN, 'localhost'],
            ips=['127.0.0.1'], name='route-upgrade'))
    return _pair[0]


def tls_route(backend, pair, **extra):
    return h.route('ipp', backend, upgrade='TLS/1.0', mode='tls',
        tls={'cert': pair.cert, 'key': pair.key}, **extra)


class ReplayBackend(h.Backend):
    """
    Reads one HTTP request head (kept as Record.head), answers it with a 200
    naming its request line, then echoes every byte after it.
    """

    def serve(self, sock, rec):
        data = b''
        while b'\r\n\r\n' not in data:
            d = sock.recv(65536)
            if not d:
                rec.eof = True
                rec.head = data
                return
            data += d
            h.check(len(data) < 65536, 'request head too long')
        head, rest = data.split(b'\r\n\r\n', 1)
        rec.head = head
        line = head.split(b'\r\n', 1)[0]
        body = b'replayed: ' + line + b'\n'
        sock.sendall(b'HTTP/1.1 200 OK\r\nX-Backend: replay\r\nContent-Length: %d\r\n\r\n'
            % len(body) + body)
        if rest:
            rec.add(rest, self.record_limit)
            sock.sendall(rest)
        self.read_to_eof(sock, rec, echo=True)

    def wait_head(self, index, timeout=10):
        """The record of the index-th connection once it has read a request head."""
        h.wait_for(lambda: self.accepted() > index and hasattr(self.records[index], 'head'),
            timeout, 'backend connection %d to read a request head' % index)
        return self.records[index]


def wait_close_after_101(conn, timeout):
    """Seconds until EOF; the daemon may send TLS alert records first, nothing else."""
    start = time.monotonic()
    conn.settimeout(h.scaled(timeout))
    data = conn.recv_all(4096)
    took = time.monotonic() - start
    rest = data
    for _ in range(100):
        if not rest:
            return took
        h.check(rest[:1] == b'\x15' and len(rest) >= 5, 'not a TLS alert record: %r' % rest)
        rest = rest[5 + int.from_bytes(rest[3:5], 'big'):]
    raise h.Fail('too many records: %r' % data)


def setup(t, **limits):
    pair = route_pair()
    be = t.backend(ReplayBackend)
    port = h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)], [tls_route(be, pair)],
        limits=limits or None))
    return d, be, port


def request_text(method_target, headers=()):
    lines = ['%s HTTP/1.1' % method_target, 'Host: 127.0.0.1:631', 'Upgrade: ' + TOKENS,
        'Connection: Upgrade', 'User-Agent: sb-test/1.0', 'X-Custom: kept']
    lines += ['%s: %s' % kv for kv in headers]
    return ('\r\n'.join(lines) + '\r\n\r\n').encode()


def check_101(resp):
    h.check_eq(resp.status, 101, 'status of the TLS upgrade (%r)' % resp.head)
    h.check_eq(resp.head.split(b'\r\n')[0], b'HTTP/1.1 101 Switching Protocols', 'status line')
    h.check_eq([v for k, v in resp.headers if k.lower() == 'upgrade'], ['TLS/1.2, HTTP/1.1'],
        'Upgrade headers of the 101')
    h.check_eq([v for k, v in resp.headers if k.lower() == 'connection'], ['Upgrade'],
        'Connection headers of the 101')


def check_replayed(be, method_target, index=0):
    rec = be.wait_head(index)
    lines = rec.head.decode('latin-1').split('\r\n')
    h.check_eq(lines[0], '%s HTTP/1.1' % method_target, 'request line the backend got')
    names = [l.split(':', 1)[0].strip().lower() for l in lines[1:]]
    for gone in ('upgrade', 'connection'):
        h.check(gone not in names, '%s header reached the backend: %r' % (gone, lines))
    values = {l.split(':', 1)[0].strip().lower(): l.split(':', 1)[1].strip() for l in lines[1:]}
    h.check_eq((values.get('host'), values.get('user-agent'), values.get('x-custom')),
        ('127.0.0.1:631', 'sb-test/1.0', 'kept'), 'other headers the backend got')


def verified_tls(conn, server_name='localhost'):
    """TLS over the upgraded socket, verified against the shared CA."""
    h.check_eq(conn.buf, b'', 'bytes after the 101 before our ClientHello')
    return h.TlsConn(conn.sock, h.TlsOpts(server_name=server_name).context(), server_name)


@suite.case('Python client: exact 101, the route\'s certificate, replay, answer in TLS, bytes')
def _(t):
    d, be, port = setup(t)
    for i, target in enumerate(('OPTIONS *', 'GET /printers/status?all=1')):
        conn = t.connect(port)
        conn.sendall(request_text(target))
        resp = h.read_head(conn)
        check_101(resp)
        tls = verified_tls(conn, ROUTE_CN)
        t.on_cleanup(tls.close)
        h.check_eq(h.cert_subject_cn(tls.peer_cert_der()), ROUTE_CN, 'CN of the TLS upgrade')
        answer = h.read_response(tls)
        h.check_eq((answer.status, answer.header('X-Backend')), (200, 'replay'),
            'the backend\'s answer inside TLS')
        h.check_eq(answer.body, ('replayed: %s HTTP/1.1\n' % target).encode(), 'answer body')
        check_replayed(be, target, i)
        rec = be.records[i]
        tls.sendall(b'after the answer')
        h.check_eq(tls.recv_exact(16), b'after the answer', 'bytes both ways inside TLS')
        got, sent_sha, back_sha = h.echo_roundtrip(tls, 1 << 20, 61 + i)
        h.check_eq(back_sha, sent_sha, 'sha256 of 1 MiB echoed through the TLS upgrade')
        tls.shutdown_write()
        tls.wait_eof(5)
        h.check(rec.done.wait(5) and rec.eof, 'the backend saw EOF after close_notify')
        tls.close()
    d.wait_log(r'conn \d+ 127\.0\.0\.1:\d+: upgraded to TLS1\.[23]')
    d.stop()


@suite.case('a ClientHello sent right behind the request is kept for the handshake')
def _(t):
    d, be, port = setup(t)
    sock = h.connect(port).sock
    t.on_cleanup(sock.close)
    ctx = h.TlsOpts(server_name=ROUTE_CN).context()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_side=False, server_hostname=ROUTE_CN)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    h.check(hello[:1] == b'\x16', 'a ClientHello record to send')
    sock.sendall(request_text('OPTIONS *') + hello)
    data = b''
    for _ in range(1000):
        if b'\r\n\r\n' in data:
            break
        d_ = sock.recv(65536)
        h.check(d_, 'EOF before the 101 (got %r)' % data)
        data += d_
    head, rest = data.split(b'\r\n\r\n', 1)
    h.check(head.startswith(b'HTTP/1.1 101 '), 'a 101 (got %r)' % head)
    h.check_in(b'\r\nUpgrade: TLS/1.2, HTTP/1.1', head, '101 head')
    inc.write(rest)
    for _ in range(1000):
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            pending = out.read()
            if pending:
                sock.sendall(pending)
            d_ = sock.recv(65536)
            h.check(d_, 'EOF during the handshake')
            inc.write(d_)
    sock.sendall(out.read())
    h.check_eq(h.cert_subject_cn(obj.getpeercert(binary_form=True)), ROUTE_CN, 'CN')
    answer = b''
    for _ in range(1000):
        if answer.endswith(b'replayed: OPTIONS * HTTP/1.1\n'):
            break
        try:
            answer += obj.read(65536)
        except ssl.SSLWantReadError:
            pending = out.read()
            if pending:
                sock.sendall(pending)
            d_ = sock.recv(65536)
            h.check(d_, 'EOF before the answer (got %r)' % answer)
            inc.write(d_)
    h.check(answer.startswith(b'HTTP/1.1 200 OK\r\n'), 'answer inside TLS: %r' % answer)
    check_replayed(be, 'OPTIONS *')
    sock.close()
    d.stop()


@suite.case('a client that sends no TLS after the 101: closed, the backend gets no bytes')
def _(t):
    d, be, port = setup(t, handshake_timeout_s=1)
    conn = t.connect(port)
    conn.sendall(request_text('OPTIONS *') + b'this is not a TLS record\r\n\r\n')
    check_101(h.read_head(conn))
    wait_close_after_101(conn, 5)
    rec = be.wait_record(0)
    h.check_eq((rec.count, getattr(rec, 'head', b'')), (0, b''), 'what the backend got')
    d.wait_log(r'tls upgrade handshake: ')

    conn = t.connect(port)
    conn.sendall(request_text('OPTIONS *'))
    check_101(h.read_head(conn))
    took = wait_close_after_101(conn, 6)
    h.check(took >= 0.5, 'closed after %.2f s, before the 1 s handshake timeout' % took)
    d.wait_log(r'tls upgrade handshake timeout')
    rec = be.wait_record(1)
    h.check_eq((rec.count, getattr(rec, 'head', b'')), (0, b''), 'what the backend got')
    d.stop()


def printer_port():
    """A port free on 127.0.0.1 and on ::1: ippeveprinter -n localhost binds both."""
    for _ in range(50):
        port = h.free_port()
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            try:
                s.bind(('::1', port))
                return port
            except OSError:
                continue
    raise h.Fail('no port free on both 127.0.0.1 and ::1')


def printer(t, port):
    """ippeveprinter on localhost (127.0.0.1 and ::1), plain IPP, no DNS-SD."""
    home = t.path('printer-home')
    os.makedirs(os.path.join(home, 'spool'))
    env = dict(os.environ, HOME=home, TMPDIR=home)
    # Avahi's client library wants a system bus: point it at the private session bus,
    # where no Avahi daemon answers, so nothing is advertised anywhere.
    argv = ['dbus-run-session', '--', 'sh', '-c',
        'DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SESSION_BUS_ADDRESS" exec ippeveprinter "$@"', 'sh',
        '-vvv', '-r', 'off', '-n', 'localhost', '-p', str(port), '-d', os.path.join(home, 'spool'),
        'Switchboard Test Printer']
    return t.process(argv, 'printer', port=port, env=env)


@suite.case('ipptool -E through the daemon to ippeveprinter, which never sees TLS')
def _(t):
    pair = route_pair()
    pport, port = printer_port(), h.free_port()
    prn = printer(t, pport)
    d = t.daemon(h.policy([h.plain_listener('plain', port)], [tls_route(pport, pair)]))
    home = t.path('client-home')
    os.makedirs(home)
    r = subprocess.run(['ipptool', '-E', '-T', '20', '-tv', 'ipp://127.0.0.1:%d/ipp/print' % port,
        'get-printer-attributes.test'], capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL, env=dict(os.environ, HOME=home), cwd=home)
    out = r.stdout + r.stderr
    h.check_eq(r.returncode, 0, 'ipptool exit code (output: %s)' % out[-3000:])
    h.check(re.search(r'Get printer attributes using get-printer-attributes\s+\[PASS\]', out),
        'ipptool passed its test: %s' % out[-3000:])
    h.check_in('status-code = successful-ok', out, 'ipptool output')
    h.check_in('printer-make-and-model (textWithoutLanguage) = ', out, 'printer attributes')
    d.wait_log(r'route ipp: tls to 127\.0\.0\.1:%d' % pport)
    d.wait_log(r'upgraded to TLS1\.[23]')
    log = prn.log_text()
    h.check(re.search(r'localhost OPTIONS \*\nlocalhost OK\n', log),
        'the printer answered the replayed OPTIONS * in plain: %s' % log[-3000:])
    h.check_in('Get-Printer-Attributes successful-ok', log, 'printer log')
    for word in ('Switching Protocols', 'Upgrading to encrypted', 'encrypt'):
        h.check(word not in log, 'the printer saw an upgrade (%r in its log): %s' % (word,
            log[-3000:]))
    d.stop()


@suite.case('--check: a tls route on a TLS listener, or without its certificate, is refused')
def _(t):
    pair = route_pair()
    lpair = h.localhost_pair()
    tls_l, plain_l = h.tls_listener('secure', h.free_port(), lpair), \
        h.plain_listener('plain', h.free_port())
    cases = [
        ([tls_l, plain_l], tls_route(9, pair, listeners=['secure']),
            r'routes\[0\]\.listeners\[0\]: listener "secure" has TLS'),
        ([tls_l, plain_l], tls_route(9, pair),
            r'routes\[0\]\.listeners: is required in mode "tls"'),
        ([tls_l], tls_route(9, pair),
            r'routes\[0\]\.listeners: is required in mode "tls"'),
        ([plain_l], h.route('ipp', 9, upgrade='TLS/1.0', mode='tls'),
            r'routes\[0\]\.tls: is required in mode "tls"'),
    ]
    for i, (listeners, r, rx) in enumerate(cases):
        d = t.daemon(h.policy(listeners, [r]), start=False, name='c%d' % i)
        rc, out, err = d.check_policy()
        h.check_eq(rc, 1, 'exit code of --check for case %d (%s%s)' % (i, out, err))
        h.check(re.search(r'policy\.json: ' + rx, out + err),
            'case %d: /%s/ in the output: %r' % (i, rx, out + err))
    d = t.daemon(h.policy([tls_l, plain_l], [tls_route(9, pair, listeners=['plain'])]),
        start=False, name='good')
    rc, out, err = d.check_policy()
    h.check_eq(rc, 0, 'exit code of --check for a tls route on the plain listener (%s%s)' %
        (out, err))


if __name__ == '__main__':
    suite.run()
