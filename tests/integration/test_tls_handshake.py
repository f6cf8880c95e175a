#!/usr/bin/python3
"""The TLS handshake costs no round trip it need not: a client that sends a key share
for X25519 (OpenSSL, Chrome) or for P-256 (GnuTLS) gets no HelloRetryRequest. And
no more CPU than it need: a client that shares both gets X25519, cheaper in nettle
than P-256, whichever it lists first."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('TLS handshake round trips')


def server_hellos(port, groups):
    """How many ServerHello messages openssl s_client saw (2: a HelloRetryRequest came)."""
    r = subprocess.run(['openssl', 's_client', '-connect', '127.0.0.1:%d' % port,
        '-groups', groups, '-msg', '-tls1_3'], input=b'', capture_output=True,
        timeout=h.scaled(20))
    out = r.stdout.decode(errors='replace')
    h.check('Server Temp Key' in out or 'TLSv1.3' in out, 'a TLS 1.3 handshake with %s: %s'
        % (groups, out[-800:]))
    return out.count('ServerHello')


def gnutls_kx(port, priority):
    """The key exchange gnutls-cli made with priority (its default: both shares, P-256 first)."""
    r = subprocess.run(['gnutls-cli', '--insecure', '--port', str(port), '--priority', priority,
        '127.0.0.1'], input=b'', capture_output=True, timeout=h.scaled(20))
    out = r.stdout.decode(errors='replace')
    for line in out.splitlines():
        if line.startswith('- Description: '):
            return line.split(')-(')[1]
    h.check(False, 'gnutls-cli %s: no handshake: %s %s' % (priority, out[-600:],
        r.stderr.decode(errors='replace')[-600:]))


@suite.case('a client sharing X25519 and P-256 gets X25519, one sharing P-256 only P-256')
def _(t):
    port, own = h.free_port(), h.free_port()
    listeners = [h.tls_listener('tls', port, h.localhost_pair()),
        h.tls_listener('own', own, h.localhost_pair())]
    listeners[1]['tls']['priority'] = 'NORMAL:-GROUP-ALL:+GROUP-SECP256R1:+GROUP-SECP384R1'
    d = t.daemon(h.policy(listeners, [h.route('echo', 'builtin:echo', path='/echo')]))
    both = 'NORMAL:-GROUP-ALL:+GROUP-SECP256R1:+GROUP-X25519'
    h.check_eq(gnutls_kx(port, 'NORMAL'), 'ECDHE-X25519', 'gnutls-cli, default groups')
    h.check_eq(gnutls_kx(port, both), 'ECDHE-X25519', 'gnutls-cli sharing P-256, X25519')
    h.check_eq(gnutls_kx(port, 'NORMAL:-GROUP-ALL:+GROUP-SECP256R1'), 'ECDHE-SECP256R1',
        'gnutls-cli sharing P-256 only')
    h.check_eq(gnutls_kx(port, both + ':-VERS-TLS1.3'), 'ECDHE-SECP256R1',
        'gnutls-cli over TLS 1.2 (no key shares)')
    h.check_eq(server_hellos(port, 'P-256:X25519'), 1, 'openssl sharing P-256 only')
    # A policy's own priority without X25519 keeps its groups.
    h.check_eq(gnutls_kx(own, 'NORMAL'), 'ECDHE-SECP256R1', 'a listener whose priority has '
        'no X25519')
    d.stop()


@suite.case('no HelloRetryRequest for the first key share of X25519 or P-256 clients')
def _(t):
    port = h.free_port()
    d = t.daemon(h.policy([h.tls_listener('tls', port, h.localhost_pair())],
        [h.route('echo', 'builtin:echo', path='/echo')]))
    for groups in ('X25519:P-256', 'P-256:X25519', 'X25519', 'P-256', 'X448:X25519'):
        h.check_eq(server_hellos(port, groups), 1,
            'ServerHello messages for a client offering %s' % groups)
    d.stop()


if __name__ == '__main__':
    suite.run()
