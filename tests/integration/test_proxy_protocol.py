#!/usr/bin/python3
"""PROXY protocol. In: HAProxy (send-proxy-v2 and send-proxy) in front of a listener with
proxy_protocol true, so that the route's allow list sees the real client; headers written
by hand (v1, v2, IPv6, LOCAL, UNKNOWN, byte by byte, before TLS); the carried address in
the log, the events, connections.list and the per-address limit; garbage, plain HTTP or
silence instead of a header close the connection. Out: a backend reads the v1 or v2 header
the route sends, with the client's address, then the tunnel bytes."""

import ipaddress
import os
import re
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('PROXY protocol')

V2_SIG = b'\r\n\r\n\x00\r\nQUIT\n'
UPGRADE = h.upgrade_request('/echo', 'sb-test')
MAPPED_LOOPBACK = str(ipaddress.ip_address('::ffff:127.0.0.1'))  # as parse_header writes it


def v1(src, dst, sport, dport, proto=None):
    proto = proto or ('TCP6' if ':' in src else 'TCP4')
    return ('PROXY %s %s %s %d %d\r\n' % (proto, src, dst, sport, dport)).encode()


def v2(src=None, dst=None, sport=0, dport=0, local=False):
    """A v2 header; with no addresses, the UNSPEC family."""
    cmd = 0x20 if local else 0x21
    if src is None:
        return V2_SIG + bytes([cmd, 0x00]) + struct.pack('>H', 0)
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    fam = 0x11 if s.version == 4 else 0x21
    body = s.packed + d.packed + struct.pack('>HH', sport, dport)
    return V2_SIG + bytes([cmd, fam]) + struct.pack('>H', len(body)) + body


def parse_header(data):
    """(version, fields, header length) of the PROXY header data starts with, or None."""
    if data.startswith(b'PROXY '):
        end = data.find(b'\r\n')
        if end < 0:
            return None
        return 1, data[:end].decode().split(' ')[1:], end + 2
    if len(data) >= 16 and data.startswith(V2_SIG):
        n = 16 + struct.unpack('>H', data[14:16])[0]
        if len(data) < n:
            return None
        ver_cmd, fam, body = data[12], data[13], data[16:n]
        fields = [ver_cmd, fam]
        if fam == 0x11:
            fields += [str(ipaddress.ip_address(body[0:4])), str(ipaddress.ip_address(body[4:8]))]
            fields += list(struct.unpack('>HH', body[8:12]))
        elif fam == 0x21:
            fields += [str(ipaddress.ip_address(body[0:16])),
                str(ipaddress.ip_address(body[16:32]))]
            fields += list(struct.unpack('>HH', body[32:36]))
        return 2, fields, n
    h.check(len(data) < 16, 'backend: no PROXY header at the start: %r' % data[:64])
    return None


class ProxyReaderBackend(h.Backend):
    """Reads the PROXY header first (Record.proxy = (version, fields)), then echoes the rest."""

    def serve(self, sock, rec):
        data = b''
        for _ in range(1000):
            parsed = parse_header(data)
            if parsed is not None:
                break
            d = sock.recv(65536)
            if not d:
                rec.eof = True
                rec.proxy = None
                return
            data += d
        version, fields, n = parsed
        rec.proxy = (version, fields)
        rest = data[n:]
        if rest:
            rec.add(rest, self.record_limit)
            sock.sendall(rest)
        self.read_to_eof(sock, rec, echo=True)

    def wait_header(self, index, timeout=10):
        h.wait_for(lambda: self.accepted() > index and hasattr(self.records[index], 'proxy'),
            timeout, 'backend connection %d to read its PROXY header' % index)
        return self.records[index].proxy


def lb_listener(port, **extra):
    l = h.plain_listener('lb', port)
    l['proxy_protocol'] = True
    l.update(extra)
    return l


def connect_from(src, port, timeout=h.SOCK_TIMEOUT):
    """A Conn to 127.0.0.1:port from source address src."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.bind((src, 0))
    sock.connect(('127.0.0.1', port))
    return h.Conn(sock)


def echo_ok(conn, what):
    conn.sendall(b'ping ' + what.encode())
    h.check_eq(conn.recv_exact(5 + len(what)), b'ping ' + what.encode(), 'echo for ' + what)


def haproxy(t, directive, daemon_port):
    port = h.free_port()
    cfg = t.path('haproxy.cfg')
    with open(cfg, 'w') as f:
        f.write('\n'.join([
            'global', '    log stderr format short local0 info',
            'defaults', '    mode tcp', '    log global', '    option tcplog',
            '    timeout connect 5s', '    timeout client 30s', '    timeout server 30s',
            'frontend fe', '    bind 127.0.0.1:%d' % port, '    default_backend be',
            'backend be', '    server sb 127.0.0.1:%d %s' % (daemon_port, directive), '']))
    t.process(['haproxy', '-f', cfg, '-db'], 'haproxy', port=port)
    return port


def haproxy_case(t, version, directive):
    be = t.backend(ProxyReaderBackend)
    port = h.free_port()
    d = t.daemon(h.policy([lb_listener(port)], [h.route('echo', be, path='/echo',
        upgrade='sb-test', allow=['127.0.0.2/32'], proxy_protocol='v1')]))
    ctl = t.control(d)
    ctl.subscribe()
    hport = haproxy(t, directive, port)

    conn = connect_from('127.0.0.2', hport)
    t.on_cleanup(conn.close)
    cport = conn.sock.getsockname()[1]
    resp = h.upgrade(conn, '/echo', 'sb-test')
    h.check_eq(resp.status, 101, 'from 127.0.0.2 through HAProxy (%r)' % resp)
    echo_ok(conn, 'through HAProxy')
    client = '127.0.0.2:%d' % cport
    ev = ctl.wait_event('connection.opened', client=client)
    h.check_eq(ev.get('route'), 'echo', 'route of the opened connection')
    listed = [c['client'] for c in ctl.call('connections.list')]
    h.check_in(client, listed, 'clients in connections.list')
    d.wait_log(r'PROXY v%s: client 127\.0\.0\.2:%d via 127\.0\.0\.1:\d+' % (version, cport))
    d.wait_log(r'conn \d+ 127\.0\.0\.2:%d route echo' % cport)
    # and the route's own PROXY v1 header passes the real client on
    hdr = be.wait_header(0)
    h.check_eq(hdr, (1, ['TCP4', '127.0.0.2', '127.0.0.1', str(cport), str(port)]),
        'the PROXY v1 header the backend got')
    conn.close()

    conn = connect_from('127.0.0.1', hport)
    t.on_cleanup(conn.close)
    cport = conn.sock.getsockname()[1]
    resp = h.upgrade(conn, '/echo', 'sb-test')
    h.check_eq(resp.status, 403, 'from 127.0.0.1 through HAProxy (%r)' % resp)
    ev = ctl.wait_event('upgrade.rejected', client='127.0.0.1:%d' % cport)
    h.check_eq((ev.get('status'), ev.get('route')), (403, 'echo'), 'the rejection event')
    d.wait_log(r'conn \d+ 127\.0\.0\.1:%d: refused 403' % cport)
    h.check_eq(be.accepted(), 1, 'backend connections')
    d.stop()


@suite.case('HAProxy send-proxy-v2: allow sees the real client (127.0.0.2 101, 127.0.0.1 403)')
def _(t):
    haproxy_case(t, '2', 'send-proxy-v2')


@suite.case('HAProxy send-proxy (v1): allow sees the real client (127.0.0.2 101, 127.0.0.1 403)')
def _(t):
    haproxy_case(t, '1', 'send-proxy')


def hand_setup(t, limits=None, proxy_out=None, tls=False, name='d'):
    be = t.backend(ProxyReaderBackend) if proxy_out else t.backend(h.EchoBackend)
    port = h.free_port()
    extra = {'proxy_protocol': proxy_out} if proxy_out else {}
    listener = lb_listener(port, tls={'cert': h.localhost_pair().cert,
        'key': h.localhost_pair().key}) if tls else lb_listener(port)
    d = t.daemon(h.policy([listener], [h.route('echo', be, path='/echo', upgrade='sb-test',
        allow=['203.0.113.0/24', '198.51.100.0/24', '2001:db8::/32'], **extra)],
        limits=limits), name=name)
    ctl = t.control(d)
    ctl.subscribe()
    return d, be, port, ctl


def via_header(t, port, header, expect=101, split=False):
    conn = t.connect(port)
    if split:
        for i in range(len(header)):
            conn.sendall(header[i:i + 1])
        conn.sendall(UPGRADE)
    else:
        conn.sendall(header + UPGRADE)
    resp = h.read_response(conn)
    h.check_eq(resp.status, expect, 'status behind header %r (%r)' % (header[:60], resp))
    return conn


@suite.case('hand-written headers: v1 TCP4 and TCP6, v2 TCP4 and TCP6; log, events, list')
def _(t):
    d, be, port, ctl = hand_setup(t)
    cases = [
        (v1('203.0.113.7', '192.0.2.1', 40000, 443), '203.0.113.7:40000', '1'),
        (v1('2001:db8::7', '2001:db8::1', 5555, 443), '[2001:db8::7]:5555', '1'),
        (v2('198.51.100.9', '192.0.2.1', 61000, 8443), '198.51.100.9:61000', '2'),
        (v2('2001:db8:0:1::9', '2001:db8::1', 1234, 443), '[2001:db8:0:1::9]:1234', '2'),
    ]
    for i, (header, client, version) in enumerate(cases):
        conn = via_header(t, port, header, split=(i == 0))
        echo_ok(conn, client)
        ev = ctl.wait_event('connection.opened', client=client)
        h.check_eq(ev.get('route'), 'echo', 'route of %s' % client)
        h.check_in(client, [c['client'] for c in ctl.call('connections.list')],
            'clients in connections.list')
        d.wait_log(r'PROXY v%s: client %s via 127\.0\.0\.1:\d+' % (version, re.escape(client)))
        conn.close()
        ctl.wait_event('connection.closed', client=client)
    d.stop()


@suite.case('v2 LOCAL and v1 UNKNOWN keep the real address (127.0.0.1: not allowed, 403)')
def _(t):
    d, be, port, ctl = hand_setup(t)
    for header in (v2(local=True), v2('203.0.113.7', '192.0.2.1', 1, 2, local=True),
            b'PROXY UNKNOWN\r\n', b'PROXY UNKNOWN 203.0.113.7 192.0.2.1 40000 443\r\n'):
        conn = via_header(t, port, header, expect=403)
        cport = conn.sock.getsockname()[1]
        ev = ctl.wait_event('upgrade.rejected', client='127.0.0.1:%d' % cport)
        h.check_eq(ev.get('status'), 403, 'status in the event for %r' % header)
        conn.close()
    d.stop()


@suite.case('a TLS listener with proxy_protocol: the header comes before the ClientHello')
def _(t):
    d, be, port, ctl = hand_setup(t, tls=True)
    sock = socket.create_connection(('127.0.0.1', port), timeout=h.SOCK_TIMEOUT)
    t.on_cleanup(sock.close)
    sock.sendall(v2('203.0.113.20', '192.0.2.1', 50505, 443))
    conn = h.TlsConn(sock, h.TlsOpts().context(), 'localhost')
    resp = h.upgrade(conn, '/echo', 'sb-test')
    h.check_eq(resp.status, 101, 'upgrade over TLS behind a PROXY header')
    echo_ok(conn, 'TLS')
    ctl.wait_event('connection.opened', client='203.0.113.20:50505')
    conn.close()
    d.stop()


@suite.case('garbage, plain HTTP, a broken header or silence instead of a header: closed')
def _(t):
    d, be, port, ctl = hand_setup(t, limits={'handshake_timeout_s': 1})
    bad = [
        b'HELLO WORLD\r\n\r\n',
        UPGRADE,
        b'PROXY TCP4 203.0.113.300 192.0.2.1 40000 443\r\n' + UPGRADE,
        b'PROXY TCP4 203.0.113.7 192.0.2.1 70000 443\r\n' + UPGRADE,
        b'PROXY TCP6 203.0.113.7 192.0.2.1 40000 443\r\n' + UPGRADE,
        b'PROXY TCP4 203.0.113.7  192.0.2.1 40000 443\r\n' + UPGRADE,
        b'PROXY TCP4 203.0.113.7 192.0.2.1 40000 443\n' + UPGRADE,
        b'PROXY ' + b'1' * 120 + b'\r\n',
        V2_SIG + bytes([0x31, 0x11, 0, 12]) + bytes(12) + UPGRADE,
        V2_SIG + bytes([0x21, 0x11, 0, 4]) + bytes(4) + UPGRADE,
        V2_SIG[:11] + b'X' + bytes([0x21, 0x11, 0, 12]) + bytes(12) + UPGRADE,
    ]
    for i, data in enumerate(bad):
        conn = t.connect(port)
        conn.sendall(data)
        try:
            conn.wait_eof(5)
        except h.Fail as e:
            raise h.Fail('case %d (%r): %s' % (i, data[:60], e))
        ev = ctl.wait_event('upgrade.rejected', client='127.0.0.1:%d' %
            conn.sock.getsockname()[1])
        h.check((ev.get('reason') or '').startswith('PROXY header'), 'case %d: event reason '
            '%r' % (i, ev.get('reason')))
        conn.close()
    h.check_eq(be.accepted(), 0, 'backend connections after the refusals')
    conn = t.connect(port)
    took = conn.wait_eof(5)
    h.check(took >= 0.5, 'a silent connection closed after %.2f s (timeout 1 s)' % took)
    d.wait_log(r'PROXY header: ')
    conn = via_header(t, port, v1('203.0.113.7', '192.0.2.1', 40001, 443))
    echo_ok(conn, 'after the refusals')
    conn.close()
    d.stop()


@suite.case('max_per_ip counts the carried address, not the load balancer\'s')
def _(t):
    d, be, port, ctl = hand_setup(t, limits={'max_per_ip': 1})
    first = via_header(t, port, v1('198.51.100.1', '192.0.2.1', 1001, 443))
    echo_ok(first, 'first')
    conn = t.connect(port)
    conn.sendall(v1('198.51.100.1', '192.0.2.1', 1002, 443) + UPGRADE)
    resp = h.read_response(conn)
    h.check_eq(resp.status, 503, 'a second tunnel from 198.51.100.1 (%r)' % resp)
    ev = ctl.wait_event('upgrade.rejected', client='198.51.100.1:1002')
    h.check_eq(ev.get('status'), 503, 'status in the event')
    other = via_header(t, port, v1('198.51.100.2', '192.0.2.1', 1003, 443))
    echo_ok(other, 'another address')
    echo_ok(first, 'first, still open')
    d.wait_log(r'conn \d+ 198\.51\.100\.1:1002: turned away')
    first.close()
    other.close()
    d.stop()


@suite.case('proxy_protocol.from: a sender outside it is closed before its header is read '
            '(403 in the event), one inside is served; a new policy moves the line')
def _(t):
    be = t.backend(h.EchoBackend)
    port = h.free_port()
    lb = lb_listener(port, proxy_protocol={'from': ['127.0.0.2/32', '10.0.0.0/8']})
    d = t.daemon(h.policy([lb], [h.route('echo', be, path='/echo', upgrade='sb-test')],
        limits={'handshake_timeout_s': 30, 'drain_timeout_s': 0}))
    ctl = t.control(d)
    ctl.subscribe()
    header = v1('203.0.113.7', '192.0.2.1', 40000, 443)

    # silent: closed at once, not after the 30 s handshake timeout
    conn = connect_from('127.0.0.1', port)
    t.on_cleanup(conn.close)
    took = conn.wait_eof(5)
    ev = ctl.wait_event('upgrade.rejected', client='127.0.0.1:%d' % conn.sock.getsockname()[1])
    h.check_eq((ev.get('status'), ev.get('reason')),
        (403, 'PROXY header: sender not in proxy_protocol.from'), 'the rejection event')
    h.check(took < 5, 'an untrusted sender closed after %.2f s' % took)
    # with a well-formed header and a request: no answer, and the header is not believed
    conn = connect_from('127.0.0.1', port)
    t.on_cleanup(conn.close)
    conn.sendall(header + UPGRADE)
    conn.wait_eof(5)
    ctl.wait_event('upgrade.rejected', client='127.0.0.1:%d' % conn.sock.getsockname()[1])
    d.wait_log(r'conn \d+ 127\.0\.0\.1:\d+: PROXY header: sender not in proxy_protocol\.from')
    h.check_eq(be.accepted(), 0, 'backend connections after the refusals')

    conn = connect_from('127.0.0.2', port)
    t.on_cleanup(conn.close)
    conn.sendall(header + UPGRADE)
    resp = h.read_response(conn)
    h.check_eq(resp.status, 101, 'from 127.0.0.2, a trusted sender (%r)' % resp)
    echo_ok(conn, 'trusted sender')
    ctl.wait_event('connection.opened', client='203.0.113.7:40000')

    # the running policy decides at accept: trust 127.0.0.1 too
    lb['proxy_protocol'] = {'from': ['127.0.0.0/8']}
    ctl.call('policy.apply', {'policy': d.policy})
    conn = connect_from('127.0.0.1', port)
    t.on_cleanup(conn.close)
    conn.sendall(v1('203.0.113.8', '192.0.2.1', 40001, 443) + UPGRADE)
    resp = h.read_response(conn)
    h.check_eq(resp.status, 101, 'from 127.0.0.1 once the policy trusts it (%r)' % resp)
    echo_ok(conn, 'trusted after the new policy')
    d.stop()


@suite.case('--check warns about proxy_protocol true on a bind that is not loopback, exit 0')
def _(t):
    ports = [h.free_port() for _ in range(3)]
    listeners = [lb_listener(ports[0]), lb_listener(ports[1]), lb_listener(ports[2])]
    listeners[0].update(name='public', bind='0.0.0.0:%d' % ports[0])
    listeners[1].update(name='local')
    listeners[2].update(name='local6', bind='[::1]:%d' % ports[2])
    d = t.daemon(h.policy(listeners, []), start=False)
    code, out, err = d.check_policy()
    h.check_eq(code, 0, '--check exit code (stdout %r, stderr %r)' % (out, err))
    lines = err.splitlines()
    h.check_eq(len(lines), 1, 'warning lines (%r)' % err)
    h.check(re.match(r'.*policy\.json: listeners\[0\]\.proxy_protocol: warning: true takes a '
        r'PROXY header from any sender on 0\.0\.0\.0:%d\b' % ports[0], lines[0]),
        'the warning: %r' % lines[0])
    h.check_in('valid', out, '--check output')


# ---------------------------------------------------------------------------
# Out


@suite.case('route proxy_protocol v1 and v2: the backend reads the client, then the tunnel')
def _(t):
    for version in ('v1', 'v2'):
        be = t.backend(ProxyReaderBackend)
        port = h.free_port()
        d = t.daemon(h.policy([h.plain_listener('plain', port)], [h.route('echo', be,
            path='/echo', upgrade='sb-test', proxy_protocol=version)]), name=version)
        conn = t.connect(port)
        cport = conn.sock.getsockname()[1]
        resp = h.upgrade(conn, '/echo', 'sb-test', early=b'early bytes|')
        h.check_eq(resp.status, 101, 'upgrade on a %s route' % version)
        h.check_eq(conn.recv_exact(12), b'early bytes|', 'early bytes echoed (%s)' % version)
        got, sent_sha, back_sha = h.echo_roundtrip(conn, 512 << 10, 71)
        h.check_eq(back_sha, sent_sha, 'sha256 of 512 KiB echoed (%s)' % version)
        hdr = be.wait_header(0)
        if version == 'v1':
            want = (1, ['TCP4', '127.0.0.1', '127.0.0.1', str(cport), str(port)])
        else:
            want = (2, [0x21, 0x11, '127.0.0.1', '127.0.0.1', cport, port])
        h.check_eq(hdr, want, 'the PROXY header the backend got (%s)' % version)
        conn.shutdown_write()
        h.check_eq(conn.recv_all(), b'', 'nothing more after the echo')
        rec = be.wait_record(0)
        h.check_eq(rec.count, 12 + got, 'tunnel bytes after the header (%s)' % version)
        h.check_eq(bytes(rec.data[:12]), b'early bytes|', 'first tunnel bytes (%s)' % version)
        conn.close()
        d.stop()


@suite.case('PROXY in, then out: the carried client (IPv4 and IPv6) goes on to the backend')
def _(t):
    cases = [
        ('v2', v1('203.0.113.7', '192.0.2.1', 40000, 443),
            lambda lp: (2, [0x21, 0x11, '203.0.113.7', '127.0.0.1', 40000, lp])),
        ('v1', v2('2001:db8::7', '2001:db8::1', 5555, 443),
            lambda lp: (1, ['TCP6', '2001:db8::7', '::ffff:127.0.0.1', '5555', str(lp)])),
        ('v2', v2('2001:db8::7', '2001:db8::1', 5555, 443),
            lambda lp: (2, [0x21, 0x21, '2001:db8::7', MAPPED_LOOPBACK, 5555, lp])),
    ]
    for i, (out, header, want) in enumerate(cases):
        d, be, port, ctl = hand_setup(t, proxy_out=out, name='d%d' % i)
        conn = via_header(t, port, header)
        echo_ok(conn, 'case %d' % i)
        h.check_eq(be.wait_header(0), want(port), 'case %d: the header the backend got' % i)
        conn.close()
        d.stop()


suite.run()
