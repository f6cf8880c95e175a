#!/usr/bin/python3
"""TLS operations: session tickets that survive a reload (SIGHUP and policy.apply), OCSP
stapling per certificate (openssl s_client -status), a stale or foreign response logged and
not stapled, and each certificate's expiry in status, switchboardctl status (a warning 14
days ahead) and the metrics."""

import datetime
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlutil  # noqa: E402
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


# ---------------------------------------------------------------------------
# OCSP


def run(argv, what):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30,
        stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise h.Fail('%s: %s' % (what, (r.stdout + r.stderr).strip()[-400:]))
    return r.stdout + r.stderr


def serial_of(pair):
    out = run(['openssl', 'x509', '-in', pair.cert, '-noout', '-serial'], 'openssl x509')
    return out.strip().split('=', 1)[1].upper()


def ocsp_good(t, ca, pair, name):
    """A response 'good' for pair, valid a day, made offline with openssl ocsp; its path."""
    index, req, out = t.path(name + '.index'), t.path(name + '.req'), t.path(name + '.der')
    expires = (datetime.datetime.utcnow() + datetime.timedelta(days=30)).strftime('%y%m%d%H%M%SZ')
    with open(index, 'w') as f:
        f.write('V\t%s\t\t%s\tunknown\t/CN=%s\n' % (expires, serial_of(pair), pair.cn))
    run(['openssl', 'ocsp', '-issuer', ca.cert, '-cert', pair.cert, '-no_nonce',
        '-reqout', req], 'openssl ocsp request')
    run(['openssl', 'ocsp', '-index', index, '-rsigner', ca.cert, '-rkey', ca.key,
        '-CA', ca.cert, '-reqin', req, '-respout', out, '-ndays', '1'], 'openssl ocsp response')
    return out


def ocsp_until(t, ca, pair, name, next_update):
    """
    A 'good' response whose nextUpdate is the datetime next_update (openssl ocsp cannot
    date one in the past, Python's cryptography can).
    """
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509 import ocsp
    except ImportError:
        raise h.Skip('python3-cryptography is not installed')
    issuer = x509.load_pem_x509_certificate(open(ca.cert, 'rb').read())
    key = serialization.load_pem_private_key(open(ca.key, 'rb').read(), None)
    cert = x509.load_pem_x509_certificate(open(pair.cert, 'rb').read())
    b = ocsp.OCSPResponseBuilder().add_response(cert=cert, issuer=issuer,
        algorithm=hashes.SHA1(), cert_status=ocsp.OCSPCertStatus.GOOD,
        this_update=next_update - datetime.timedelta(days=1), next_update=next_update,
        revocation_time=None, revocation_reason=None)
    b = b.responder_id(ocsp.OCSPResponderEncoding.HASH, issuer)
    out = t.path(name + '.der')
    with open(out, 'wb') as f:
        f.write(b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    return out


def stapled(port, sni, version='-tls1_3'):
    """The serial number the stapled response is about (s_client -status), or None."""
    out = run(['openssl', 's_client', '-connect', '127.0.0.1:%d' % port, '-servername', sni,
        '-status', version, '-CAfile', h.shared_ca().cert], 'openssl s_client')
    h.check_in('Verify return code: 0 (ok)', out, 's_client output')
    if 'OCSP response: no response sent' in out:
        return None
    h.check_in('OCSP Response Status: successful', out, 's_client output')
    h.check_in('Cert Status: good', out, 's_client output')
    m = re.search(r'Serial Number: ([0-9A-Fa-f]+)', out)
    h.check(m is not None, 'a serial number in the stapled response: %s' % out[-600:])
    return m.group(1).upper()


def ocsp_setup(t, default_ocsp, alpha_ocsp):
    ca, alpha = h.shared_ca(), ca_alpha()
    port = h.free_port()
    listener = h.tls_listener('tls', port, h.localhost_pair(), sni=[(['alpha.test'], alpha)])
    if default_ocsp is not None:
        listener['tls']['ocsp'] = default_ocsp
    if alpha_ocsp is not None:
        listener['tls']['sni'][0]['ocsp'] = alpha_ocsp
    d = t.daemon(h.policy([listener], [h.route('echo', 'builtin:echo', path='/echo')]))
    return ca, d, port


_alpha = {}


def ca_alpha():
    if 'pair' not in _alpha:
        _alpha['pair'] = h.shared_ca().issue('alpha.test', dns=['alpha.test'])
    return _alpha['pair']


@suite.case('each certificate staples its own OCSP response (TLS 1.3 and 1.2)')
def _(t):
    ca, lh, alpha = h.shared_ca(), h.localhost_pair(), ca_alpha()
    _, d, port = ocsp_setup(t, ocsp_good(t, ca, lh, 'lh'), ocsp_good(t, ca, alpha, 'alpha'))
    for version in ('-tls1_3', '-tls1_2'):
        h.check_eq(stapled(port, 'localhost', version), serial_of(lh),
            'the default certificate\'s response (%s)' % version)
        h.check_eq(stapled(port, 'alpha.test', version), serial_of(alpha),
            'the SNI certificate\'s response (%s)' % version)
    d.stop()


@suite.case('a stale response is logged and not stapled; a fresh one in its place on reload is')
def _(t):
    ca, lh = h.shared_ca(), h.localhost_pair()
    past = datetime.datetime.utcnow() - datetime.timedelta(hours=1)
    stale = ocsp_until(t, ca, lh, 'stale', past)
    _, d, port = ocsp_setup(t, stale, None)
    d.wait_log(r'listener tls: ocsp \S*stale\.der: not stapled: stale: its nextUpdate has passed')
    h.check_eq(stapled(port, 'localhost'), None, 'no staple for a stale response')
    os.replace(ocsp_good(t, ca, lh, 'fresh'), stale)
    before = d.log_size()
    d.signal(signal.SIGHUP)
    d.wait_log(r'policy revision 2 applied', since=before)
    h.check_eq(stapled(port, 'localhost'), serial_of(lh), 'the fresh response after SIGHUP')
    d.stop()


@suite.case('a response about another certificate is logged and not stapled')
def _(t):
    ca, alpha = h.shared_ca(), ca_alpha()
    _, d, port = ocsp_setup(t, ocsp_good(t, ca, alpha, 'alpha'), None)
    d.wait_log(r'listener tls: ocsp \S*alpha\.der: not stapled: it is not about this certificate')
    h.check_eq(stapled(port, 'localhost'), None, 'no staple for another certificate\'s response')
    h.check(d.alive(), 'the daemon serves on')
    d.stop()


@suite.case('a response whose nextUpdate passes while the daemon runs is no longer stapled, '
    'and status says it is stale')
def _(t):
    ca, lh = h.shared_ca(), h.localhost_pair()
    ttl = h.scaled(4)
    until = datetime.datetime.utcnow() + datetime.timedelta(seconds=ttl)
    _, d, port = ocsp_setup(t, ocsp_until(t, ca, lh, 'soon', until), None)
    h.check_eq(stapled(port, 'localhost'), serial_of(lh), 'stapled before its nextUpdate')
    cert = t.control(d).call('status')['listeners'][0]['certificates'][0]
    h.check_eq(cert['ocsp'], 'stapled', 'status before nextUpdate')
    h.check_eq(int(ctlutil.unix_time(cert['ocsp_next_update'], 'ocsp_next_update')),
        int(until.replace(tzinfo=datetime.timezone.utc).timestamp()), 'ocsp_next_update')
    left = (until - datetime.datetime.utcnow()).total_seconds()
    time.sleep(max(0, left) + 1.0)
    h.check_eq(stapled(port, 'localhost'), None, 'no staple once nextUpdate has passed')
    h.check_eq(t.control(d).call('status')['listeners'][0]['certificates'][0]['ocsp'], 'stale',
        'status after nextUpdate')
    out = ctlutil.ctl(d, 'status').expect(0).out
    h.check_in('warning: listener tls, certificate default: the stapled OCSP response went stale',
        out, 'switchboardctl status')
    d.stop()


# ---------------------------------------------------------------------------
# Expiry


def not_after(pair):
    out = run(['openssl', 'x509', '-in', pair.cert, '-noout', '-enddate'], 'openssl x509')
    when = datetime.datetime.strptime(out.strip().split('=', 1)[1], '%b %d %H:%M:%S %Y GMT')
    return int(when.replace(tzinfo=datetime.timezone.utc).timestamp())


@suite.case('status, switchboardctl status and metrics show each certificate\'s expiry; '
    'one due within 14 days is warned about')
def _(t):
    lh, short = h.localhost_pair(), h.shared_ca().issue('short.test', dns=['short.test'],
        days=10)
    port, mport = h.free_port(), h.free_port()
    d = t.daemon(h.policy(
        [h.tls_listener('tls', port, lh, sni=[(['short.test'], short)]),
            h.plain_listener('plain', h.free_port())],
        [h.route('echo', 'builtin:echo', path='/echo')], metrics='127.0.0.1:%d' % mport))
    listeners = t.control(d).call('status')['listeners']
    h.check('certificates' not in listeners[1], 'no certificates on a plain listener')
    certs = listeners[0]['certificates']
    h.check_eq(len(certs), 2, 'certificates of the TLS listener')
    h.check_eq([c['sni'] for c in certs], [None, ['short.test']], 'their sni names')
    h.check_eq([c['subject'] for c in certs], ['CN=localhost', 'CN=short.test'], 'subjects')
    for c, pair in zip(certs, (lh, short)):
        h.check_eq(int(ctlutil.unix_time(c['not_after'], 'not_after')), not_after(pair),
            'not_after of %s' % pair.cn)
        left = not_after(pair) - time.time()
        h.check(abs(c['expires_in_s'] - left) < 120, 'expires_in_s %d, about %d' %
            (c['expires_in_s'], left))
        h.check_eq((c['ocsp'], c['ocsp_next_update']), ('none', None), 'no OCSP response')

    out = ctlutil.ctl(d, 'status').expect(0).out
    row = r'tls +short\.test +CN=short\.test +\S+ +in (9d\d\dh|10d00h) +none'
    h.check(re.search(row, out), 'a table row for short.test:\n%s' % out)
    warnings = [l for l in out.splitlines() if l.startswith('warning:')]
    h.check_eq(len(warnings), 1, 'warnings in:\n%s' % out)
    h.check(re.match(r'warning: listener tls, certificate short\.test \(CN=short\.test\): '
        r'expires in (9d\d\dh|10d00h), notAfter ', warnings[0]), 'the warning: %r' % warnings[0])

    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % mport, timeout=5) as r:
        text = r.read().decode()
    for sni, pair in (('', lh), ('short.test', short)):
        line = ('switchboard_certificate_not_after_timestamp_seconds{listener="tls",sni="%s"} %d'
            % (sni, not_after(pair)))
        h.check_in(line + '\n', text, 'the metrics')
    d.stop()


if __name__ == '__main__':
    suite.run()
