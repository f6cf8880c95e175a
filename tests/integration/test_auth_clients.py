#!/usr/bin/python3
"""Route auth with real clients and tools: python3-websockets with a Bearer header, a cookie
and a subprotocol token; headless Chromium with a cookie set by a page, with ?token= in
the WebSocket URL (noVNC's way), with a subprotocol token and with user:password in the
URL (answered after the Basic challenge); curl -u against an htpasswd file made by htpasswd -B; JWTs
made by python3-jwt (RS256, ES256 and EdDSA, keys from a JWKS and from a PEM file); a client
certificate inside and outside client_cert's lists on an mTLS listener. Each case greps
everything it captured (the log, every event, connections.list, refusal bodies) for every
secret it used."""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import wsutil as w  # noqa: E402
from browser import PageServer, chromium_dump, need_chromium, page_results  # noqa: E402
from test_auth import ALICE, BOB, tokens_file, write  # noqa: E402

suite = h.Suite('auth with real clients')

PASSWORD = 'pw-carol-Zq8v!x2'


def need_module(name, package):
    try:
        return __import__(name)
    except ImportError:
        raise h.Skip('python module %s is missing (Debian package %s)' % (name, package))


def need_tool(name, package):
    path = shutil.which(name)
    if path is None:
        raise h.Skip('%s is not installed (Debian package %s)' % (name, package))
    return path


class Capture:
    """
    Everything a client of the daemon could see about it: the events (subscribed before
    any connection), connections.list answers and refusal bodies; audit() greps them
    and the daemon's log for the secrets.
    """

    def __init__(self, t, d):
        self.d = d
        self.ctl = t.control(d)
        self.ctl.subscribe()
        self.seen = []   # (what, text)

    def listed(self):
        got = self.ctl.call('connections.list')
        self.seen.append(('connections.list', json.dumps(got)))
        return got

    def body(self, what, data):
        self.seen.append((what, data.decode(errors='replace') if isinstance(data, bytes)
                          else data))

    def settle(self):
        """Waits until no connection is live, then takes every event sent until now."""
        h.wait_for(lambda: self.listed() == [], h.scaled(10), 'every connection closed')
        self.ctl.call('status')
        return list(self.ctl.events)

    def audit(self, secrets):
        events = self.settle()
        texts = self.seen + [('event %s' % e.get('type'), json.dumps(e)) for e in events]
        texts.append(('the log', self.d.log_text()))
        for what, text in texts:
            for s in secrets:
                h.check(s not in text, '%s holds a secret (%s...)' % (what, s[:6]))
        return events


def identities(events, type='connection.opened'):
    return sorted(e.get('identity') for e in events if e.get('type') == type)


def rejected(events):
    return sorted(e.get('status') for e in events if e.get('type') == 'upgrade.rejected')


# ---------------------------------------------------------------------------
# python3-websockets


@suite.case('python3-websockets: a Bearer header, a cookie, a subprotocol bearer.TOKEN')
def _(t):
    websockets = need_module('websockets', 'python3-websockets')
    tokens = tokens_file(t)
    auth = {'from': ['header', 'cookie:sb_token', 'subprotocol'], 'tokens': tokens}
    d, ports = w.ws_daemon(t, [
        w.ws_route('echo', 'builtin:echo', '/echo', auth=auth),
        w.ws_route('proto', 'builtin:echo', '/proto', auth=auth, subprotocols=['binary'])])
    cap = Capture(t, d)

    async def echo(ws, what):
        await ws.send(b'hello ' + what.encode())
        got = b''
        for _ in range(100):
            if len(got) >= 6 + len(what):
                break
            got += await ws.recv()
        h.check_eq(got, b'hello ' + what.encode(), 'echo with %s' % what)

    async def refused(port, tls, status, what, **kw):
        try:
            async with w.lib_connect(port, '/echo', tls, **kw):
                pass
        except websockets.exceptions.InvalidStatusCode as e:
            h.check_eq(e.status_code, status, 'status for %s' % what)
            body = getattr(e, 'body', None) or b''
            cap.body('refusal body for %s' % what, body)
        else:
            raise h.Fail('%s was admitted' % what)

    async def body(port, tls):
        async with w.lib_connect(port, '/echo', tls,
                                 extra_headers={'Authorization': 'Bearer ' + ALICE}) as ws:
            await echo(ws, 'a bearer header')
            h.check_in('alice', [c.get('identity') for c in cap.listed()], 'identity listed')
        async with w.lib_connect(port, '/echo', tls,
                                 extra_headers={'Cookie': 'theme=dark; sb_token=' + BOB}) as ws:
            await echo(ws, 'a cookie')
            h.check_in('bob', [c.get('identity') for c in cap.listed()], 'identity listed')
        async with w.lib_connect(port, '/echo', tls, subprotocols=['bearer.' + ALICE]) as ws:
            h.check_eq(ws.subprotocol, None, 'the chosen subprotocol, offered only the token')
            await echo(ws, 'a subprotocol token')
        async with w.lib_connect(port, '/proto', tls,
                                 subprotocols=['bearer.' + BOB, 'binary']) as ws:
            h.check_eq(ws.subprotocol, 'binary', 'the chosen subprotocol beside the token')
            await echo(ws, 'a subprotocol token and binary')
        await refused(port, tls, 401, 'no credential')
        await refused(port, tls, 401, 'a wrong Bearer token',
                      extra_headers={'Authorization': 'Bearer ' + ALICE[:-1]})
        await refused(port, tls, 401, 'a wrong subprotocol token',
                      subprotocols=['bearer.' + BOB + 'x'])
    for tls in (True, None):
        w.run(body(ports[tls], tls), h.scaled(30))
    events = cap.audit([ALICE, BOB])
    h.check_eq(identities(events), ['alice', 'alice', 'alice', 'alice', 'bob', 'bob', 'bob',
                                    'bob'], 'identities of the opened connections')
    h.check_eq(rejected(events), [401] * 6, 'statuses of upgrade.rejected')
    d.stop()


# ---------------------------------------------------------------------------
# Chromium

PAGE = r'''<!doctype html>
<html><head><meta charset="utf-8"><title>switchboard auth</title></head>
<body><pre id="result">pending</pre>
<iframe src="/hold"></iframe>
<script>
const CFG = %(cfg)s;

// Opens url, sends a message, waits for its echo: 'ok', or 'refused' when it never opened;
// with want, the chosen subprotocol must be that one.
function echo(url, protocols, want) {
  return new Promise((resolve) => {
    const ws = protocols ? new WebSocket(url, protocols) : new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    let opened = false, got = '';
    ws.onopen = () => {
      opened = true;
      if (want !== undefined && ws.protocol !== want)
        resolve('chosen subprotocol ' + JSON.stringify(ws.protocol));
      ws.send('ping from the page');
    };
    ws.onmessage = (e) => {
      got += new TextDecoder().decode(e.data);
      if (got === 'ping from the page') { ws.close(1000); resolve('ok'); }
    };
    ws.onclose = () => resolve(opened ? 'closed early: ' + JSON.stringify(got) : 'refused');
    setTimeout(() => resolve('timed out'), CFG.step_ms);
  });
}

async function main() {
  const results = {};
  results['no cookie yet'] = await echo(CFG.wss + '/cookie');
  document.cookie = 'sb_token=' + CFG.cookie_token + '; path=/; Secure';
  results['cookie'] = await echo(CFG.wss + '/cookie');
  results['query token'] = await echo(CFG.wss + '/websockify?token=' + CFG.query_token);
  results['wrong query token'] = await echo(CFG.wss + '/websockify?token=nope' + CFG.query_token);
  results['no query token'] = await echo(CFG.wss + '/websockify');
  // a browser fails a handshake whose answer names no subprotocol when it offered some, so
  // the token travels beside one the route chooses (as Kubernetes' bearer.authorization)
  results['subprotocol token'] = await echo(CFG.wss + '/proto',
                                            ['bearer.' + CFG.query_token, 'binary'], 'binary');
  results['wrong subprotocol token'] = await echo(CFG.wss + '/proto', ['bearer.x', 'binary']);
  // user:password in the URL: Chromium sends them after the 401's Basic challenge
  results['basic in the URL'] = await echo(CFG.wss.replace('//', '//carol:' +
                                           encodeURIComponent(CFG.password) + '@') + '/basic');
  document.getElementById('result').textContent = JSON.stringify(results);
  await fetch('/done', { method: 'POST', body: JSON.stringify(results) });
}
main();
</script></body></html>
'''

EXPECTED = {'no cookie yet': 'refused', 'cookie': 'ok',
            'query token': 'ok', 'wrong query token': 'refused', 'no query token': 'refused',
            'subprotocol token': 'ok', 'wrong subprotocol token': 'refused',
            'basic in the URL': 'ok'}


@suite.case('Chromium: a cookie set by the page, ?token= in the URL (noVNC), a subprotocol',
            timeout=180)
def _(t):
    need_chromium()
    tokens = tokens_file(t)
    # The page comes over https, as a deployment serves it: Chromium sends a SameSite=Lax
    # cookie (the default) set by an http:// page to wss:// as to another site (schemeful
    # same-site), so not at all.
    server = PageServer(tls=h.localhost_pair())
    server.start()
    t.on_cleanup(server.stop)
    d, ports = w.ws_daemon(t, [
        w.ws_route('cookie', 'builtin:echo', '/cookie',
                   auth={'from': ['cookie:sb_token'], 'tokens': tokens}),
        w.ws_route('novnc', 'builtin:echo', '/websockify',
                   auth={'from': ['query:token'], 'tokens': tokens}),
        w.ws_route('proto', 'builtin:echo', '/proto', subprotocols=['binary'],
                   auth={'from': ['subprotocol'], 'tokens': tokens}),
        w.ws_route('basic', 'builtin:echo', '/basic', auth={'basic': htpasswd_file(t)})])
    cap = Capture(t, d)
    cfg = {'wss': 'wss://127.0.0.1:%d' % ports[True], 'cookie_token': ALICE, 'query_token': BOB,
           'password': PASSWORD, 'step_ms': 20000}
    server.page = (PAGE % {'cfg': json.dumps(cfg)}).encode()
    results = page_results(chromium_dump(t, server.origin + '/'))
    print('# page results: %s' % json.dumps(results, sort_keys=True))
    h.check_eq(results, EXPECTED, 'what the page saw')
    events = cap.audit([ALICE, BOB, PASSWORD,
                        base64.b64encode(('carol:' + PASSWORD).encode()).decode()])
    h.check_eq(identities(events), ['alice', 'bob', 'bob', 'carol'],
               'identities of the opened ones')
    h.check_eq(rejected(events), [401] * 5, 'statuses of upgrade.rejected')
    h.check('/websockify' in d.log_text(), 'the log names the query route\'s path')
    d.stop()


# ---------------------------------------------------------------------------
# curl -u against htpasswd -B


def curl(t, port, path, *args):
    """curl sending an Upgrade request; returns (status, headers text, body bytes)."""
    need_tool('curl', 'curl')
    hdrs, body = t.path('curl-headers'), t.path('curl-body')
    argv = ['curl', '-sS', '--http1.1', '--max-time', str(int(h.scaled(20))),
            '-H', 'Connection: Upgrade', '-H', 'Upgrade: x-test', '-D', hdrs, '-o', body,
            '-w', '%{http_code}'] + list(args) + ['http://127.0.0.1:%d%s' % (port, path)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=h.scaled(30))
    h.check_eq(r.returncode, 0, 'curl exit status (stderr %r)' % r.stderr)
    with open(hdrs) as f, open(body, 'rb') as g:
        return int(r.stdout), f.read(), g.read()


# a password may hold ':' (only the user name may not) and any UTF-8
PASSWORDS = {'carol': PASSWORD, 'dave': PASSWORD + ':d\u00e9j\u00e0'}


def htpasswd_file(t):
    """carol and dave with their PASSWORDS, written by htpasswd -B (bcrypt)."""
    htpasswd = need_tool('htpasswd', 'apache2-utils')
    users = t.path('users.htpasswd')
    for flags, user in (('-cbB', 'carol'), ('-bB', 'dave')):
        subprocess.run([htpasswd, flags, '-C', '5', users, user, PASSWORDS[user]], check=True,
                       capture_output=True, timeout=30)
    with open(users) as f:
        h.check(f.read().count(':$2y$') == 2, 'htpasswd -B wrote bcrypt entries')
    return users


@suite.case('curl -u user:pass against an htpasswd file made by htpasswd -B')
def _(t):
    users = htpasswd_file(t)
    total = 100000
    source = t.backend(h.SourceBackend, total, 5)
    port = h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)], [
        h.route('tunnel', source, path='/tunnel', upgrade='x-test',
                auth={'basic': users, 'realm': 'curl test'})]))
    cap = Capture(t, d)
    for user in ('carol', 'dave'):
        status, head, body = curl(t, port, '/tunnel', '-u', '%s:%s' % (user, PASSWORDS[user]))
        h.check_eq(status, 101, 'status for %s' % user)
        h.check_eq(hashlib.sha256(body).hexdigest(), h.pattern_sha256(total, 5),
                   'the backend\'s bytes through the tunnel for %s' % user)
    for what, args in (('a wrong password', ['-u', 'carol:' + PASSWORD[:-1]]),
                       ('an unknown user', ['-u', 'mallory:' + PASSWORD]),
                       ('no credential', [])):
        status, head, body = curl(t, port, '/tunnel', *args)
        h.check_eq(status, 401, 'status for %s' % what)
        # one challenge a header line: browsers read no second one behind a comma
        challenges = [line.split(':', 1)[1].strip() for line in head.splitlines()
                      if line.lower().startswith('www-authenticate:')]
        h.check_eq(challenges, ['Bearer realm="curl test"',
                                'Basic realm="curl test", charset="UTF-8"'],
                   'the challenges for %s' % what)
        cap.body('the 401 for %s' % what, head + body.decode(errors='replace'))
    basic = [base64.b64encode(('%s:%s' % kv).encode()).decode() for kv in PASSWORDS.items()]
    events = cap.audit([PASSWORD] + basic)
    h.check_eq(identities(events), ['carol', 'dave'], 'identities of the opened ones')
    h.check_eq(rejected(events), [401, 401, 401], 'statuses of upgrade.rejected')
    d.stop()


# ---------------------------------------------------------------------------
# python3-jwt


@suite.case('python3-jwt: RS256, ES256 and EdDSA, keys from a JWKS and a PEM file')
def _(t):
    jwt = need_module('jwt', 'python3-jwt')
    need_module('cryptography', 'python3-cryptography')
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    def new_keys():
        return {'RS256': rsa.generate_private_key(65537, 2048),
                'ES256': ec.generate_private_key(ec.SECP256R1()),
                'EdDSA': ed25519.Ed25519PrivateKey.generate()}
    keys, others = new_keys(), new_keys()
    kinds = {'RS256': jwt.algorithms.RSAAlgorithm, 'ES256': jwt.algorithms.ECAlgorithm,
             'EdDSA': jwt.algorithms.OKPAlgorithm}
    kids = {alg: 'key-%d' % i for i, alg in enumerate(keys)}
    jwks = {'keys': [dict(json.loads(kinds[alg].to_jwk(key.public_key())), kid=kids[alg],
                          alg=alg, use='sig') for alg, key in keys.items()]}
    pem = b''.join(k.public_key().public_bytes(serialization.Encoding.PEM,
                   serialization.PublicFormat.SubjectPublicKeyInfo) for k in keys.values())
    echo = t.backend(h.EchoBackend)
    port = h.free_port()
    conf = {'issuer': 'https://id.test', 'audience': 'switchboard', 'leeway_s': 5}
    d = t.daemon(h.policy([h.plain_listener('plain', port)], [
        h.route('jwks', echo, path='/jwks', auth={'jwt': dict(
            conf, keys=write(t, 'jwks.json', json.dumps(jwks)))}),
        h.route('pem', echo, path='/pem', auth={'jwt': dict(
            conf, keys=write(t, 'keys.pem', pem.decode()))})]))
    cap = Capture(t, d)
    now = int(time.time())
    good = {'sub': 'erin', 'iss': 'https://id.test', 'aud': 'switchboard', 'iat': now,
            'exp': now + 300}
    secrets, admitted = [], 0
    for path in ('/jwks', '/pem'):
        for alg in keys:
            def token(claims, key=keys[alg]):
                head = {'kid': kids[alg]}  # a PEM file names no kid: the keys are tried
                tok = jwt.encode(claims, key, algorithm=alg, headers=head)
                secrets.append(tok.split('.')[2])
                return tok
            what = '%s on %s' % (alg, path)
            conn = t.connect(port)
            r = h.upgrade(conn, path=path, headers=[('Authorization', 'Bearer ' + token(good))])
            h.check_eq(r.status, 101, 'status for a good %s (body %r)' % (what, r.body))
            conn.sendall(b'jwt')
            h.check_eq(conn.recv_exact(3), b'jwt', 'echo with %s' % what)
            h.check_in('erin', [c.get('identity') for c in cap.listed()], 'identity listed')
            conn.close()
            admitted += 1
            for bad, tok in (('expired', token(dict(good, exp=now - 120, iat=now - 600))),
                             ('wrong audience', token(dict(good, aud='elsewhere'))),
                             ('wrong key', token(good, key=others[alg]))):
                conn = t.connect(port)
                r = h.upgrade(conn, path=path, headers=[('Authorization', 'Bearer ' + tok)])
                conn.close()
                h.check_eq(r.status, 401, 'status for an %s %s' % (bad, what))
                h.check_in('Bearer realm=', r.header('WWW-Authenticate') or '',
                           'challenge for %s %s' % (bad, what))
                cap.body('the 401 for %s %s' % (bad, what), r.head + r.body)
    events = cap.audit(secrets)
    h.check_eq(identities(events), ['erin'] * admitted, 'identities of the opened ones')
    h.check_eq(rejected(events), [401] * (3 * admitted), 'statuses of upgrade.rejected')
    d.stop()


# ---------------------------------------------------------------------------
# client certificates


@suite.case('client_cert: certificates inside and outside the lists, mTLS required or asked')
def _(t):
    ca = h.CA(t.path('client-ca'), cn='Switchboard Client CA')

    def client(cn, *extra):
        return ca.issue(cn, purpose='tls_www_client', extra=extra)
    alice = client('alice', 'organization = "Example"')
    bob = client('bob', 'email = "bob@example.org"')
    mallory = client('mallory', 'organization = "Example"', 'email = "mallory@example.org"')
    echo = t.backend(h.EchoBackend)
    ports = {'require': h.free_port(), 'request': h.free_port()}
    listeners = []
    for how, port in ports.items():
        listeners.append(h.tls_listener(how, port, h.localhost_pair()))
        listeners[-1]['tls'].update({'client_auth': how, 'client_ca': ca.cert})
    lists = {'subjects': ['CN=alice,O=Example'], 'sans': ['bob@example.org']}
    d = t.daemon(h.policy(listeners, [
        h.route('certs', echo, path='/certs', listeners=['require'],
                auth={'client_cert': lists}),
        h.route('either', echo, path='/either', listeners=['request'],
                auth={'client_cert': lists, 'tokens': tokens_file(t)})]))
    cap = Capture(t, d)

    def attempt(how, path, pair, headers=()):
        """The status, and the identity listed while the tunnel is open."""
        conn = t.connect(ports[how], tls=h.TlsOpts(client=pair))
        r = h.upgrade(conn, path=path, headers=headers)
        who = None
        if r.status == 101:
            conn.sendall(b'cert')
            h.check_eq(conn.recv_exact(4), b'cert', 'echo on %s' % path)
            who = [c.get('identity') for c in cap.listed()]
            h.check_eq(len(who), 1, 'connections listed')
            who = who[0]
        else:
            cap.body('the %d on %s' % (r.status, path), r.head + r.body)
        conn.close()
        h.wait_for(lambda: cap.listed() == [], h.scaled(10), 'the tunnel closed')
        return r.status, who
    bearer = [('Authorization', 'Bearer ' + BOB)]
    for what, args, expected in (
            ('alice (subject listed)', ('require', '/certs', alice), (101, 'alice')),
            ('bob (SAN listed)', ('require', '/certs', bob), (101, 'bob@example.org')),
            ('mallory (neither listed)', ('require', '/certs', mallory), (403, None)),
            ('alice, certificate asked', ('request', '/either', alice), (101, 'alice')),
            ('no certificate, a token', ('request', '/either', None, bearer), (101, 'bob')),
            ('mallory and a token', ('request', '/either', mallory, bearer), (101, 'bob')),
            ('mallory, no token', ('request', '/either', mallory), (403, None)),
            ('nothing at all', ('request', '/either', None), (401, None))):
        h.check_eq(attempt(*args), expected, 'status and identity for %s' % what)
    try:
        conn = t.connect(ports['require'], tls=h.TlsOpts())
        h.upgrade(conn, path='/certs')
    except (OSError, h.Fail):
        pass  # refused in the handshake, or the connection closed after it (TLS 1.3)
    else:
        raise h.Fail('a client without a certificate got an answer where one is required')
    events = cap.audit([BOB])
    h.check_eq(identities(events), ['alice', 'alice', 'bob', 'bob', 'bob@example.org'],
               'identities of the opened ones')
    h.check_eq(rejected(events), [401, 403, 403], 'statuses of upgrade.rejected')
    d.stop()


if __name__ == '__main__':
    suite.run()
