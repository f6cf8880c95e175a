#!/usr/bin/python3
"""TLS to the backend: a Python ssl server with a certificate from the test CA. The chain
and the name are verified (502 with the reason otherwise, before the 101), verify false
skips both, a client certificate is presented, websocket and h2c (nghttpd over TLS, ALPN
h2) work through it, checks handshake too, and bad files are refused at apply."""

import os
import socket
import ssl
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import wsutil as ws  # noqa: E402

suite = h.Suite('backend TLS')


class TlsServer:
    """
    An ssl server on 127.0.0.1: says its name, then echoes. It notes the SNI each
    client sent, the client certificate's subject and handshake errors.
    """

    def __init__(self, t, pair, name='tls', client_ca=None):
        self.name = name.encode()
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(pair.cert, pair.key)
        self.sni, self.peers, self.errors = [], [], []
        self.ctx.sni_callback = lambda sock, name, ctx: self.sni.append(name)
        if client_ca is not None:
            self.ctx.verify_mode = ssl.CERT_REQUIRED
            self.ctx.load_verify_locations(client_ca)
        self.lsock = socket.socket()
        self.lsock.bind(('127.0.0.1', 0))
        self.lsock.listen(32)
        self.port = self.lsock.getsockname()[1]
        threading.Thread(target=self._loop, daemon=True).start()
        t.on_cleanup(self.lsock.close)

    def _loop(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            c.settimeout(10)
            s = self.ctx.wrap_socket(c, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.errors.append(str(e))
            c.close()
            return
        try:
            cert = s.getpeercert()
            if cert:
                self.peers.append(dict(x[0] for x in cert['subject']).get('commonName'))
            s.sendall(self.name + b'\n')
            while True:
                d = s.recv(65536)
                if not d:
                    return
                s.sendall(d)
        except (ssl.SSLError, OSError) as e:
            self.errors.append(str(e))
        finally:
            s.close()


def backend_pair():
    return h.shared_ca().issue('backend.test', dns=['backend.test', 'localhost'],
        ips=['127.0.0.1'], name='backend-test')


def client_pair(ca, dir):
    """A client certificate (TLS WWW client) from ca."""
    key, cert = os.path.join(dir, 'client-key.pem'), os.path.join(dir, 'client.pem')
    tmpl = os.path.join(dir, 'client.tmpl')
    h._certtool(['--generate-privkey', '--key-type', 'ecdsa', '--outfile', key])
    with open(tmpl, 'w') as f:
        f.write('cn = "switchboard-client"\ntls_www_client\nsigning_key\nexpiration_days = 30\n')
    h._certtool(['--generate-certificate', '--load-privkey', key, '--load-ca-certificate',
        ca.cert, '--load-ca-privkey', ca.key, '--outfile', cert], tmpl)
    return h.CertPair(cert, key, 'switchboard-client')


def start(t, server, tls, mode='tunnel', upgrade='*', address=None, **backend):
    port = h.free_port()
    b = {'servers': [address or '127.0.0.1:%d' % server.port], 'tls': tls}
    b.update(backend)
    d = t.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('pool', b, path='/p', mode=mode, upgrade=upgrade)]))
    return d, port


def through(t, port, server):
    """A tunnel on /p: the server's name comes first, then an echo."""
    conn = t.tunnel(port, '/p')
    h.check_eq(conn.recv_exact(len(server.name) + 1), server.name + b'\n', 'the name over TLS')
    conn.sendall(b'ping over tls')
    h.check_eq(conn.recv_exact(13), b'ping over tls', 'echo through the TLS backend')
    conn.close()


def refused(t, d, port, pattern):
    conn = t.connect(port)
    resp = h.upgrade(conn, path='/p')
    conn.close()
    h.check_eq(resp.status, 502, 'a backend that fails TLS is a 502 (body %r)' % resp.body)
    d.wait_log(pattern)
    return resp


@suite.case('verify: the chain against ca and the name against sni or the host')
def _(t):
    srv = TlsServer(t, backend_pair())
    ca = h.shared_ca().cert
    d, port = start(t, srv, {'ca': ca, 'sni': 'backend.test'})
    through(t, port, srv)
    h.check_eq(srv.sni[-1:], ['backend.test'], 'SNI sent')
    d.stop()
    # No sni: the server's host is the name, sent and checked.
    d, port = start(t, srv, {'ca': ca}, address='localhost:%d' % srv.port)
    through(t, port, srv)
    h.check_eq(srv.sni[-1:], ['localhost'], 'the host as SNI')
    d.stop()


@suite.case('a wrong name or an unknown CA is a 502 before the 101, with the reason logged')
def _(t):
    srv = TlsServer(t, backend_pair())
    d, port = start(t, srv, {'ca': h.shared_ca().cert, 'sni': 'other.test'})
    refused(t, d, port, r'backend 127\.0\.0\.1:\d+ unreachable: TLS: certificate refused: '
        r'.*does not match')
    ctl = t.control(d)
    row = ctl.call('backends.list')[0]
    h.check_in('certificate refused', row['last_error'], 'last_error: %r' % row)
    h.check(row['failures'] >= 1, 'counted as a failed connect: %r' % row)
    ctl.close()
    d.stop()

    other = h.CA(t.path('other-ca'), cn='Someone Else')
    d, port = start(t, srv, {'ca': other.cert, 'sni': 'backend.test'})
    refused(t, d, port, r'unreachable: TLS: certificate refused: .*NOT trusted')
    d.stop()

    # The same server, no verification: anything goes.
    d, port = start(t, srv, {'ca': other.cert, 'sni': 'other.test', 'verify': False})
    through(t, port, srv)
    d.stop()


@suite.case('a client certificate is presented when cert and key are set')
def _(t):
    ca = h.shared_ca()
    srv = TlsServer(t, backend_pair(), client_ca=ca.cert)
    pair = client_pair(ca, t.path())
    d, port = start(t, srv, {'ca': ca.cert, 'sni': 'backend.test', 'cert': pair.cert,
        'key': pair.key})
    through(t, port, srv)
    h.check_eq(srv.peers, ['switchboard-client'], 'the server saw our certificate')
    d.stop()
    # Without cert and key none is presented.
    d, port = start(t, srv, {'ca': ca.cert, 'sni': 'backend.test'})
    conn = t.connect(port)
    h.upgrade(conn, path='/p')
    conn.recv_all()
    conn.close()
    h.check_eq(srv.peers, ['switchboard-client'], 'no certificate the second time')
    d.stop()


@suite.case('websocket mode over a TLS backend')
def _(t):
    srv = TlsServer(t, backend_pair(), name='wss')
    d, port = start(t, srv, {'ca': h.shared_ca().cert, 'sni': 'backend.test'},
        mode='websocket', upgrade='websocket')
    conn = t.connect(port)
    ws.check_101(ws.handshake(conn, '/p'), 'websocket to a TLS backend')
    f = ws.read_frame(conn)
    h.check_eq(f.payload, b'wss\n', 'the backend\'s first bytes as a message')
    conn.sendall(ws.frame(0x2, b'hello tls'))
    got = b''
    while len(got) < 9:
        got += ws.read_frame(conn).payload
    h.check_eq(got, b'hello tls', 'echoed through TLS (server: %r)' % srv.errors)
    conn.close()
    d.stop()


@suite.case('h2c mode reaches nghttpd over TLS, ALPN h2 offered')
def _(t):
    pair = backend_pair()
    www = t.path('www')
    os.makedirs(www)
    with open(os.path.join(www, 'index.html'), 'wb') as f:
        f.write(b'<p>h2 over tls</p>\n')
    bport = h.free_port()
    t.process(['nghttpd', '-a', '127.0.0.1', '-d', www, str(bport), pair.key, pair.cert],
        'nghttpd', port=bport)
    port = h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)], [h.route('h2', {
        'servers': ['127.0.0.1:%d' % bport],
        'tls': {'ca': h.shared_ca().cert, 'sni': 'backend.test'}}, upgrade='h2c', mode='h2c')]))
    r = __import__('subprocess').run(['curl', '-sS', '-v', '--http2', '--max-time', '20',
        'http://127.0.0.1:%d/index.html' % port], capture_output=True, timeout=30)
    err = r.stderr.decode(errors='replace')
    h.check_eq(r.returncode, 0, 'curl exit code (stderr: %s)' % err[-1500:])
    h.check_in('< HTTP/2 200', err, 'an HTTP/2 answer')
    h.check_eq(r.stdout, b'<p>h2 over tls</p>\n', 'the body from nghttpd over TLS')
    d.stop()


@suite.case('health checks handshake too; bad files are refused at apply with their path')
def _(t):
    srv = TlsServer(t, backend_pair())
    other = h.CA(t.path('other-ca'), cn='Someone Else')
    d, port = start(t, srv, {'ca': other.cert, 'sni': 'backend.test'},
        health={'interval_s': 1, 'timeout_ms': 1000, 'fall': 1})
    ctl = t.control(d)
    h.wait_for(lambda: ctl.call('backends.list')[0]['state'] == 'down', h.scaled(6),
        'a server whose certificate fails the check is marked down')
    h.check_in('check: TLS: certificate refused', ctl.call('backends.list')[0]['last_error'],
        'the reason')
    pol = ctl.call('policy.get')
    p = pol['policy']
    p['routes'][0]['backend']['tls'] = {'ca': t.path('missing-ca.pem')}
    try:
        ctl.call('policy.apply', {'policy': p, 'revision': pol['revision'], 'persist': False})
        raise h.Fail('a missing ca was accepted')
    except h.Fail as e:
        h.check_in('routes[0].backend.tls', str(e), 'the path: %s' % e)
        h.check_in('missing-ca.pem: No such file or directory', str(e), 'the reason')
    ctl.close()
    d.stop()


if __name__ == '__main__':
    suite.run()
