#!/usr/bin/python3
"""Per-address limit. With no limits in the policy, one address gets 256 connections and
the 257th is refused with 503, while another address is still served and a freed slot is
taken again. IPv6 clients count by limits.ipv6_prefix (default 64): addresses that differ
only in their low 64 bits are one client, the next /64 is another, and 128 counts each
address alone; a v4-mapped IPv6 address counts as its IPv4 address. Loopback has one IPv6
address only (::1/128): the /64 case runs in a network namespace of its own whose
loopback gets addresses in two /64s; the other prefixes and the v4-mapped form come in PROXY
headers, whose carried address the limit counts (test_proxy_protocol.py shows that for IPv4)."""

import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('per-address limit')

UPGRADE = h.upgrade_request('/echo', 'sb-test')
DEFAULT_MAX_PER_IP = 256


def connect_from(t, src, port):
    """A connection from src to loopback (127.0.0.1, or ::1 for an IPv6 src)."""
    v6 = ':' in src
    sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(h.SOCK_TIMEOUT)
    sock.bind((src, 0))
    sock.connect(('::1' if v6 else '127.0.0.1', port))
    conn = h.Conn(sock)
    t.on_cleanup(conn.close)
    return conn


def refused_503(conn, what):
    conn.settimeout(5)
    try:
        resp = h.read_response(conn)
    except socket.timeout:
        raise h.Fail('%s: no answer in 5 s, so not refused: admitted' % what)
    h.check_eq(resp.status, 503, '%s (%r)' % (what, resp))
    h.check_in(b'too many connections from this address', resp.body, 'the body of the 503')
    conn.wait_eof(5)


def echo_ok(conn, what):
    conn.sendall(b'hello ' + what.encode())
    h.check_eq(conn.recv_exact(6 + len(what)), b'hello ' + what.encode(), 'echo for ' + what)


@suite.case('no limits in the policy: 256 connections from one address, the 257th to the '
            '300th refused with 503; another address served; a freed slot taken again',
            timeout=120)
def _(t):
    be = t.backend(h.EchoBackend)
    port = h.free_port()
    # no max_per_ip: the default applies; idle connections may wait for their request
    d = t.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('echo', be, path='/echo', upgrade='sb-test')],
        limits={'handshake_timeout_s': 600, 'drain_timeout_s': 0}))
    ctl = t.control(d)
    ctl.subscribe()
    # the harness's own probe of the port must not take a slot of ours
    h.wait_for(lambda: ctl.call('status')['counters']['connections'] == 0, 10,
        'no connection left from the start-up probe')

    held = []
    for i in range(DEFAULT_MAX_PER_IP - 1):
        held.append(connect_from(t, '127.0.0.1', port))
    # the 256th is a real tunnel: counted like the others, and served
    tunnel = connect_from(t, '127.0.0.1', port)
    resp = h.upgrade(tunnel, '/echo', 'sb-test')
    h.check_eq(resp.status, 101, 'the 256th connection from 127.0.0.1 (%r)' % resp)
    echo_ok(tunnel, '256th')

    for i in range(DEFAULT_MAX_PER_IP, 300):
        conn = connect_from(t, '127.0.0.1', port)
        cport = conn.sock.getsockname()[1]
        refused_503(conn, 'connection %d from 127.0.0.1' % (i + 1))
        if i == DEFAULT_MAX_PER_IP:
            ev = ctl.wait_event('upgrade.rejected', client='127.0.0.1:%d' % cport)
            h.check_eq(ev.get('status'), 503, 'status in the event')
        conn.close()
    d.wait_log(r'turned away: 256 connections from that address')

    other = connect_from(t, '127.0.0.2', port)
    h.check_eq(h.upgrade(other, '/echo', 'sb-test').status, 101, 'from 127.0.0.2')
    echo_ok(other, 'another address')
    echo_ok(tunnel, '256th, still open')

    # one slot freed: the next connection from 127.0.0.1 gets it (once the daemon saw the close)
    held.pop().close()

    def admitted():
        conn = connect_from(t, '127.0.0.1', port)
        resp = h.upgrade(conn, '/echo', 'sb-test')
        if resp.status == 101:
            return conn
        h.check_eq(resp.status, 503, 'while the freed slot is not yet free')
        conn.close()
        return None
    again = h.wait_for(admitted, 10, 'a freed slot taken again', interval=0.1)
    echo_ok(again, 'the freed slot')
    refused_503(connect_from(t, '127.0.0.1', port), 'one past the limit again')
    for conn in held:
        conn.close()
    d.stop()


def v1(src, sport):
    proto = 'TCP6' if ':' in src else 'TCP4'
    dst = '2001:db8::1' if proto == 'TCP6' else '192.0.2.1'
    return ('PROXY %s %s %s %d 443\r\n' % (proto, src, dst, sport)).encode()


def via_proxy(t, port, src, sport):
    """A connection carrying client src in a PROXY v1 header; returns (conn, status)."""
    conn = connect_from(t, '127.0.0.1', port)
    conn.sendall(v1(src, sport) + UPGRADE)
    return conn, h.read_response(conn).status


def proxied_daemon(t, limits, name='d'):
    be = t.backend(h.EchoBackend)
    port = h.free_port()
    lb = h.plain_listener('lb', port)
    lb['proxy_protocol'] = True
    d = t.daemon(h.policy([lb], [h.route('echo', be, path='/echo', upgrade='sb-test')],
        limits=dict(limits, drain_timeout_s=0)), name=name)
    ctl = t.control(d)
    ctl.subscribe()
    return d, port, ctl


def add_loopback_address(address, prefixlen):
    """Adds an IPv6 address to lo (this thread's network namespace) over rtnetlink."""
    NETLINK_ROUTE, RTM_NEWADDR, NLMSG_ERROR = 0, 20, 2
    flags = 0x1 | 0x4 | 0x400 | 0x200  # REQUEST, ACK, CREATE, EXCL
    IFA_ADDRESS, IFA_LOCAL, IFA_F_NODAD = 1, 2, 0x02
    packed = socket.inet_pton(socket.AF_INET6, address)
    attrs = b''.join(struct.pack('HH', 4 + len(packed), t) + packed for t in (IFA_LOCAL,
        IFA_ADDRESS))
    body = struct.pack('BBBBI', socket.AF_INET6, prefixlen, IFA_F_NODAD, 0,
        socket.if_nametoindex('lo')) + attrs
    msg = struct.pack('IHHII', 16 + len(body), RTM_NEWADDR, flags, 1, 0) + body
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE) as nl:
        nl.settimeout(5)
        nl.send(msg)
        reply = nl.recv(65536)
    kind = struct.unpack_from('H', reply, 4)[0]
    err = struct.unpack_from('i', reply, 16)[0] if kind == NLMSG_ERROR else 0
    if err != 0:
        raise h.Fail('adding %s/%d to lo: %s' % (address, prefixlen, os.strerror(-err)))


@suite.case('IPv6 clients that differ in their low 64 bits are one client (limit 2: the third '
            'gets 503); the next /64 is another')
def _(t):
    t.private_network()
    same = ['2001:db8:1:2::a', '2001:db8:1:2::b', '2001:db8:1:2:ffff:ffff:ffff:fffc']
    for address in same + ['2001:db8:1:3::a']:
        add_loopback_address(address, 64)
    be = t.backend(h.EchoBackend)
    port = h.free_port()
    d = t.daemon(h.policy([{'name': 'plain6', 'bind': '[::1]:%d' % port}],
        [h.route('echo', be, path='/echo', upgrade='sb-test')],
        limits={'max_per_ip': 2, 'drain_timeout_s': 0}), start=False)
    d.start(ports=[])  # (its probe knows 127.0.0.1 only)
    ctl = t.control(d)
    ctl.subscribe()
    h.wait_for(lambda: ctl.call('status')['counters']['connections'] == 0, 10,
        'no connection left from the start-up probe')
    for src in same[:2]:
        conn = connect_from(t, src, port)
        h.check_eq(h.upgrade(conn, '/echo', 'sb-test').status, 101, 'from %s' % src)
        echo_ok(conn, src)
    conn = connect_from(t, same[2], port)
    cport = conn.sock.getsockname()[1]
    refused_503(conn, 'a third client in 2001:db8:1:2::/64')
    ev = ctl.wait_event('upgrade.rejected', client='[%s]:%d' % (same[2], cport))
    h.check_eq(ev.get('status'), 503, 'status in the event')
    conn = connect_from(t, '2001:db8:1:3::a', port)
    h.check_eq(h.upgrade(conn, '/echo', 'sb-test').status, 101, 'from 2001:db8:1:3::a')
    echo_ok(conn, 'the next /64')
    d.stop()


@suite.case('limits.ipv6_prefix 128 counts each IPv6 address alone; 48 groups a /48')
def _(t):
    d, port, ctl = proxied_daemon(t, {'max_per_ip': 1, 'ipv6_prefix': 128}, name='p128')
    for i, src in enumerate(['2001:db8:1:2::a', '2001:db8:1:2::b']):
        conn, status = via_proxy(t, port, src, 2000 + i)
        h.check_eq(status, 101, 'from %s with prefix 128' % src)
    conn, status = via_proxy(t, port, '2001:db8:1:2::a', 2002)
    h.check_eq(status, 503, 'a second connection from 2001:db8:1:2::a with prefix 128')
    d.stop()

    d, port, ctl = proxied_daemon(t, {'max_per_ip': 1, 'ipv6_prefix': 48}, name='p48')
    conn, status = via_proxy(t, port, '2001:db8:1:2::a', 3000)
    h.check_eq(status, 101, 'from 2001:db8:1:2::a with prefix 48')
    conn, status = via_proxy(t, port, '2001:db8:1:ffff::b', 3001)
    h.check_eq(status, 503, 'from 2001:db8:1:ffff::b, the same /48')
    conn, status = via_proxy(t, port, '2001:db8:2::a', 3002)
    h.check_eq(status, 101, 'from 2001:db8:2::a, another /48')
    d.stop()


@suite.case('a v4-mapped IPv6 client counts as its IPv4 address, not as ::ffff:0:0/64')
def _(t):
    d, port, ctl = proxied_daemon(t, {'max_per_ip': 2})
    conn, status = via_proxy(t, port, '::ffff:198.51.100.1', 4000)
    h.check_eq(status, 101, 'from ::ffff:198.51.100.1')
    conn, status = via_proxy(t, port, '198.51.100.1', 4001)
    h.check_eq(status, 101, 'from 198.51.100.1')
    conn, status = via_proxy(t, port, '::ffff:198.51.100.1', 4002)
    h.check_eq(status, 503, 'a third from 198.51.100.1, written v4-mapped')
    for i, src in enumerate(['::ffff:198.51.100.2', '::ffff:198.51.100.3', '198.51.100.4']):
        conn, status = via_proxy(t, port, src, 4003 + i)
        h.check_eq(status, 101, 'from %s: another IPv4 address' % src)
    d.stop()


suite.run()
