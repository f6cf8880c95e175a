#!/usr/bin/python3
"""TLS operations: session tickets that survive a reload (SIGHUP and policy.apply)."""

import os
import signal
import socket
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('TLS operations')


def client_context(version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(h.shared_ca().cert)
    ctx.minimum_version = ctx.maximum_version = version
    return ctx


def handshake(port, ctx, session=None):
    """One TLS connection with a request on it (a 404 answer); (session, reused)."""
    sock = socket.create_connection(('127.0.0.1', port), timeout=h.SOCK_TIMEOUT)
    with ctx.wrap_socket(sock, server_hostname='localhost', session=session) as s:
        s.sendall(h.upgrade_request('/nowhere'))
        data = b''
        for _ in range(1000):
            if b'\r\n\r\n' in data:
                break
            chunk = s.recv(4096)  # a TLS 1.3 ticket arrives with the answer
            if not chunk:
                break
            data += chunk
        h.check(data.startswith(b'HTTP/1.1 404'), 'a 404 answer, got %r' % data[:40])
        return s.session, s.session_reused


def reload_by_sighup(t, d, p):
    before = d.log_size()
    d.write_policy(p)
    d.signal(signal.SIGHUP)
    d.wait_log(r'policy revision \d+ applied by', since=before)


def reload_by_apply(t, d, p):
    ctl = t.control(d)
    ctl.call('policy.apply', {'policy': p})


@suite.case('a session resumes after SIGHUP and after policy.apply (TLS 1.3 and 1.2)')
def _(t):
    port = h.free_port()
    p = h.policy([h.tls_listener('tls', port, h.localhost_pair())],
        [h.route('echo', 'builtin:echo', path='/echo')])
    d = t.daemon(p)
    for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
        ctx = client_context(version)
        session, reused = handshake(port, ctx)
        h.check(not reused, '%s: the first handshake is a full one' % version.name)
        h.check(session is not None and session.has_ticket, '%s: a ticket came' % version.name)
        for how in (reload_by_sighup, reload_by_apply):
            p['routes'][0]['idle_timeout_s'] = 100 + len(how.__name__)
            how(t, d, p)
            session, reused = handshake(port, ctx, session)
            h.check(reused, '%s: the session resumed after %s' % (version.name, how.__name__))
    d.stop()


if __name__ == '__main__':
    suite.run()
