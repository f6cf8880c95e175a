#!/usr/bin/python3
"""SNI: each name gets its own certificate, checked from the peer certificate's subject CN
(Python's ssl, parsed with certtool -i) and with gnutls-cli; no or an unknown name gets the
listener's default certificate."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('SNI certificates')
_certs = {}


def certs():
    if not _certs:
        ca = h.shared_ca()
        _certs['alpha'] = ca.issue('alpha.test', dns=['alpha.test'])
        _certs['beta'] = ca.issue('beta.test', dns=['beta.test', '*.beta.test'])
    return _certs


def setup(t):
    c = certs()
    echo = t.backend(h.EchoBackend)
    port = h.free_port()
    d = t.daemon(h.policy(
        [h.tls_listener('tls', port, h.localhost_pair(),
            sni=[(['alpha.test'], c['alpha']), (['beta.test', '*.beta.test'], c['beta'])])],
        [h.route('echo', echo, path='/echo')]))
    return d, port


def peer_cn(t, port, name, verify=True):
    """Handshake with SNI name (None: no SNI); the peer's CN; then a tunnel on it works."""
    opts = h.TlsOpts(server_name=name or '127.0.0.1', verify=verify)
    conn = t.connect(port, tls=opts)
    cn = h.cert_subject_cn(conn.peer_cert_der())
    resp = h.upgrade(conn, '/echo', host=name or 'localhost')
    h.check_eq(resp.status, 101, 'upgrade after the handshake for %s' % name)
    conn.sendall(b'sni')
    h.check_eq(conn.recv_exact(3), b'sni', 'echo through the tunnel for %s' % name)
    conn.close()
    return cn


@suite.case('two SNI names get two certificates (ssl + certtool -i)')
def _(t):
    d, port = setup(t)
    h.check_eq(peer_cn(t, port, 'alpha.test'), 'alpha.test', 'CN for SNI alpha.test')
    h.check_eq(peer_cn(t, port, 'beta.test'), 'beta.test', 'CN for SNI beta.test')
    h.check_eq(peer_cn(t, port, 'x.beta.test'), 'beta.test', 'CN for SNI x.beta.test (*.)')
    h.check_eq(peer_cn(t, port, 'ALPHA.test'), 'alpha.test', 'CN for SNI ALPHA.test')
    d.stop()


@suite.case('no SNI, or an unknown name: the default certificate')
def _(t):
    d, port = setup(t)
    h.check_eq(peer_cn(t, port, None), 'localhost', 'CN without SNI')
    h.check_eq(peer_cn(t, port, 'gamma.test', verify=False), 'localhost',
        'CN for an unknown SNI name')
    h.check_eq(peer_cn(t, port, 'localhost'), 'localhost', 'CN for SNI localhost')
    d.stop()


@suite.case('gnutls-cli sees each name\'s certificate and verifies it')
def _(t):
    d, port = setup(t)
    ca = h.shared_ca().cert
    for name, cn in (('alpha.test', 'alpha.test'), ('beta.test', 'beta.test'),
            ('www.beta.test', 'beta.test'), ('localhost', 'localhost')):
        rc, out = h.gnutls_cli(port, ca, sni=name)
        h.check_eq(rc, 0, 'gnutls-cli exit code for %s (output: %s)' % (name, out[-600:]))
        h.check_in('CN=%s' % cn, out, 'gnutls-cli output for %s' % name)
        h.check_in('The certificate is trusted', out, 'gnutls-cli verification for %s' % name)
    d.stop()


suite.run()
