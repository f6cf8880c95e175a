#!/usr/bin/python3
"""The TLS handshake costs no round trip it need not: a client that sends a key share
for X25519 (OpenSSL, Chrome) or for P-256 (GnuTLS) gets no HelloRetryRequest."""

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
