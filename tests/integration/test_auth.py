#!/usr/bin/python3
"""Route auth and rate against a real daemon: tokens from the Authorization header, a
cookie, a WebSocket subprotocol and the query; htpasswd with SHA-crypt and bcrypt; JWTs
(HS256, ES256; expired, wrong audience, wrong key, alg none, HS256 signed with the public
key); 401 with WWW-Authenticate, 429 with Retry-After; the identity in connections.list;
and no secret in the log, the events or any refusal body."""

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlutil as cu  # noqa: E402
import harness as h  # noqa: E402
import preload  # noqa: E402
import test_metrics  # noqa: E402

suite = h.Suite('auth')

ALICE = 'tok-alice-5bd0c1e2f3a4'
BOB = 'tok-bob-99aa77ee'
PASSWORD = 'hunter2-carol'
HS_KEY = b'a-shared-secret-of-32-bytes-long'


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def jwt_hs256(claims, key=HS_KEY, alg='HS256', header_extra=None):
    header = dict({'alg': alg, 'typ': 'JWT'}, **(header_extra or {}))
    signing = b64u(json.dumps(header).encode()) + '.' + b64u(json.dumps(claims).encode())
    if alg == 'none':
        return signing + '.'
    sig = hmac.new(key, signing.encode(), hashlib.sha256).digest()
    return signing + '.' + b64u(sig)


def sha_crypt(password):
    """A $6$ htpasswd hash: python's crypt where it still exists, else openssl passwd -6."""
    try:
        import crypt  # noqa: F401 (deprecated, still in Debian 12's Python)
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512))
    except ImportError:
        return subprocess.run(['openssl', 'passwd', '-6', password], check=True,
                              capture_output=True, text=True).stdout.strip()


def bcrypt_hash(password):
    if shutil.which('htpasswd'):
        out = subprocess.run(['htpasswd', '-nbB', '-C', '5', 'x', password], check=True,
                             capture_output=True, text=True).stdout.strip()
        return out.split(':', 1)[1]
    try:
        import crypt
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32))
    except (ImportError, ValueError):
        return None


def write(t, name, text):
    path = t.path(name)
    with open(path, 'w') as f:
        f.write(text)
    return path


def tokens_file(t, more=''):
    """alice and bob's tokens, as a tokens file in the test's folder; more: lines to add."""
    return write(t, 'tokens.txt', '# who may enter\n\nalice %s\nbob %s\n%s' % (
        hashlib.sha256(ALICE.encode()).hexdigest(), hashlib.sha256(BOB.encode()).hexdigest(),
        more))


def setup(t, rate=None, more_tokens='', **extra):
    echo = t.backend(h.EchoBackend)
    port = h.free_port()
    tokens = tokens_file(t, more_tokens)
    lines = ['carol:' + sha_crypt(PASSWORD)]
    bc = bcrypt_hash(PASSWORD)
    if bc:
        lines.append('dave:' + bc)
    users = write(t, 'users.htpasswd', '\n'.join(lines) + '\n')
    jwks = write(t, 'jwks.json', json.dumps({'keys': [{'kty': 'oct', 'kid': 'k1', 'alg': 'HS256',
                                                'k': b64u(HS_KEY)}]}))
    routes = [
        h.route('tok', echo, path='/tok', auth={
            'from': ['header', 'cookie:sb_token', 'query:token'], 'tokens': tokens,
            'realm': 'test realm'}),
        h.route('ws', echo, path='/ws', upgrade='websocket', mode='websocket',
                auth={'from': ['subprotocol'], 'tokens': tokens}),
        h.route('basic', echo, path='/basic', auth={'basic': users,
                                                     'tokens': tokens}),
        h.route('jwt', echo, path='/jwt', auth={'jwt': {
            'keys': jwks, 'issuer': 'https://id.test', 'audience': 'sb',
            'leeway_s': 5}}),
    ]
    if rate:
        routes.append(h.route('rated', echo, path='/rated', rate=rate,
                              auth={'tokens': tokens}))
    d = t.daemon(h.policy([h.plain_listener('plain', port)], routes, **extra))
    return d, port


def answer(t, port, path, headers=(), token='sb-test'):
    conn = t.connect(port)
    resp = h.upgrade(conn, path=path, token=token, headers=headers)
    conn.close()
    return resp


def works(t, port, path, headers=(), token='sb-test'):
    conn = t.connect(port)
    resp = h.upgrade(conn, path=path, token=token, headers=headers)
    h.check_eq(resp.status, 101, 'status for %s with %r' % (path, [k for k, _ in headers]))
    return conn


SECRETS = (ALICE, BOB, PASSWORD, HS_KEY.decode())


def no_secret(text, what):
    for s in SECRETS:
        h.check(s not in text, '%s holds a secret' % what)
    basic = base64.b64encode(('carol:' + PASSWORD).encode()).decode()
    h.check(basic not in text, '%s holds a Basic header' % what)


@suite.case('tokens: header, cookie, query; 401 with a challenge otherwise')
def case_tokens(t):
    d, port = setup(t)
    ctl = t.control(d)
    conn = works(t, port, '/tok', [('Authorization', 'Bearer ' + ALICE)])
    conn.sendall(b'hi')
    h.check_eq(conn.recv_exact(2), b'hi', 'echo as alice')
    listed = ctl.call('connections.list')
    h.check_in('alice', [c.get('identity') for c in listed], 'identity listed')
    no_secret(json.dumps(listed), 'connections.list')
    conn.close()
    works(t, port, '/tok', [('Cookie', 'other=1; sb_token=%s' % BOB)]).close()
    works(t, port, '/tok?x=1&token=%s' % ALICE).close()
    r = answer(t, port, '/tok')
    h.check_eq(r.status, 401, 'no credential')
    h.check_eq(r.header('WWW-Authenticate'), 'Bearer realm="test realm"', 'challenge')
    r = answer(t, port, '/tok', [('Authorization', 'Bearer wrong-token')])
    h.check_eq(r.status, 401, 'a wrong token')
    no_secret(r.body.decode(errors='replace'), 'a 401 body')
    r = answer(t, port, '/tok', [('Authorization', 'Bearer ' + ALICE + 'x')])
    h.check_eq(r.status, 401, 'a token one byte longer')
    no_secret(d.log_text(), 'the log')


@suite.case('tokens: a WebSocket subprotocol bearer.TOKEN, never chosen')
def case_subprotocol(t):
    d, port = setup(t)
    key = base64.b64encode(os.urandom(16)).decode()
    hdrs = [('Sec-WebSocket-Key', key), ('Sec-WebSocket-Version', '13')]
    conn = t.connect(port)
    resp = h.upgrade(conn, path='/ws', token='websocket',
                     headers=hdrs + [('Sec-WebSocket-Protocol', 'bearer.%s' % ALICE)])
    h.check_eq(resp.status, 101, 'upgrade with the subprotocol token')
    h.check(resp.header('Sec-WebSocket-Protocol') is None, 'the token is not the chosen one')
    conn.close()
    r = answer(t, port, '/ws', hdrs + [('Sec-WebSocket-Protocol', 'bearer.nope')],
               token='websocket')
    h.check_eq(r.status, 401, 'a wrong subprotocol token')
    no_secret(d.log_text(), 'the log')


@suite.case('basic: SHA-crypt and bcrypt users; a wrong password is 401')
def case_basic(t):
    d, port = setup(t)

    def basic(user, pw):
        return [('Authorization', 'Basic ' + base64.b64encode(
            ('%s:%s' % (user, pw)).encode()).decode())]
    works(t, port, '/basic', basic('carol', PASSWORD)).close()
    works(t, port, '/basic', basic('carol', PASSWORD)).close()  # from the cache
    if bcrypt_hash('x'):
        works(t, port, '/basic', basic('dave', PASSWORD)).close()
    r = answer(t, port, '/basic', basic('carol', 'not-it'))
    h.check_eq(r.status, 401, 'a wrong password')
    r = answer(t, port, '/basic', basic('nobody', PASSWORD))
    h.check_eq(r.status, 401, 'an unknown user')
    r = answer(t, port, '/basic')
    h.check_in('Basic realm="switchboard"', r.header('WWW-Authenticate') or '',
               'Basic in the challenge')
    works(t, port, '/basic', [('Authorization', 'Bearer ' + ALICE)]).close()
    no_secret(d.log_text(), 'the log')


@suite.case('jwt: HS256 from a JWKS; exp, aud, iss, alg none, wrong key, crit')
def case_jwt(t):
    d, port = setup(t)
    now = int(time.time())
    good = {'sub': 'erin', 'iss': 'https://id.test', 'aud': 'sb', 'exp': now + 60}
    works(t, port, '/jwt', [('Authorization', 'Bearer ' + jwt_hs256(good))]).close()
    bad = [
        ('expired', jwt_hs256(dict(good, exp=now - 60))),
        ('wrong audience', jwt_hs256(dict(good, aud='other'))),
        ('wrong issuer', jwt_hs256(dict(good, iss='https://evil.test'))),
        ('wrong key', jwt_hs256(good, key=b'another-secret-of-32-bytes-long!')),
        ('alg none', jwt_hs256(good, alg='none')),
        ('not yet valid', jwt_hs256(dict(good, nbf=now + 600))),
        ('critical header', jwt_hs256(good, header_extra={'crit': ['x'], 'x': 1})),
    ]
    for what, token in bad:
        r = answer(t, port, '/jwt', [('Authorization', 'Bearer ' + token)])
        h.check_eq(r.status, 401, what)
        h.check(token.split('.')[2] not in r.body.decode(errors='replace') or
                token.endswith('.'), '%s: the body holds no signature' % what)
    h.check('erin' in d.log_text(), 'the identity is in the log')


@suite.case('jwt: a cached verdict ends at exp + leeway_s, not at the cache\'s lifetime')
def case_jwt_cache_exp(t):
    echo = t.backend(h.EchoBackend)
    port = h.free_port()
    jwks = write(t, 'jwks.json', json.dumps({'keys': [{'kty': 'oct', 'alg': 'HS256',
                                                'k': b64u(HS_KEY)}]}))
    routes = [h.route('jwt', echo, path='/jwt', auth={'jwt': {'keys': jwks, 'leeway_s': 1}})]
    d = t.daemon(h.policy([h.plain_listener('plain', port)], routes))
    # the verdict cache keeps an accepted credential 10 s: exp + leeway comes well before
    ahead = min(h.scaled(2), 5)
    exp = int(time.time() + ahead) + 1
    hdr = [('Authorization', 'Bearer ' + jwt_hs256({'sub': 'erin', 'exp': exp}))]
    start = time.monotonic()
    works(t, port, '/jwt', hdr).close()
    works(t, port, '/jwt', hdr).close()  # from the cache
    # refused from exp + leeway_s on (whole seconds of the wall clock)
    time.sleep(max(0.0, exp + 1 - time.time()) + 0.2)
    r = answer(t, port, '/jwt', hdr)
    h.check(time.monotonic() - start < 9.5, 'asked again within the cache\'s 10 s')
    h.check_eq(r.status, 401, 'the token past exp + leeway_s')
    h.check_in('the token has expired', r.body.decode(errors='replace'), 'the reason')


@suite.case('rate: the burst passes, then 429 with Retry-After, then a refill admits')
def case_rate(t):
    d, port = setup(t, rate={'per_address': {'per_s': 1, 'burst': 2}})
    hdr = [('Authorization', 'Bearer ' + ALICE)]
    works(t, port, '/rated', hdr).close()
    works(t, port, '/rated', hdr).close()
    r = answer(t, port, '/rated', hdr)
    h.check_eq(r.status, 429, 'past the burst')
    h.check_eq(r.header('Retry-After'), '1', 'Retry-After')
    time.sleep(1.1)
    works(t, port, '/rated', hdr).close()


@suite.case('rate: per_address counts refused credentials too, so a guesser meets 429')
def case_rate_guess(t):
    d, port = setup(t, rate={'per_address': {'per_s': 1, 'burst': 2}})
    for i in range(2):
        r = answer(t, port, '/rated', [('Authorization', 'Bearer guess-%d' % i)])
        h.check_eq(r.status, 401, 'guess %d within the burst' % i)
    r = answer(t, port, '/rated', [('Authorization', 'Bearer guess-2')])
    h.check_eq(r.status, 429, 'a guess past the burst')
    h.check_eq(r.header('Retry-After'), '1', 'Retry-After')
    time.sleep(1.1)
    works(t, port, '/rated', [('Authorization', 'Bearer ' + ALICE)]).close()


@suite.case('no keyed hash for the verdict cache: nothing cached, one token never passes '
            'for another')
def case_cache_unkeyed(t):
    echo = t.backend(h.EchoBackend)
    port = h.free_port()
    routes = [h.route('tok', echo, path='/tok', auth={'tokens': tokens_file(t)})]
    d = t.daemon(h.policy([h.plain_listener('plain', port)], routes), start=False)
    preload.start(d, 'hmac_init')
    works(t, port, '/tok', [('Authorization', 'Bearer ' + ALICE)]).close()
    r = answer(t, port, '/tok', [('Authorization', 'Bearer not-a-token')])
    h.check_eq(r.status, 401, 'a wrong token after a good one')
    works(t, port, '/tok', [('Authorization', 'Bearer ' + ALICE)]).close()


@suite.case('metrics: auth counted by method and result, 429s, and no identity in them')
def case_metrics(t):
    mport = h.free_port()
    d, port = setup(t, rate={'per_address': {'per_s': 1, 'burst': 1}},
                    metrics='127.0.0.1:%d' % mport)
    before = test_metrics.scrape(mport)
    for method in ('tokens', 'basic', 'jwt', 'client_cert'):
        for result in ('admitted', 'refused'):
            key = 'switchboard_auth_total{method="%s",result="%s"}' % (method, result)
            h.check_eq(before.get(key), 0, key + ' at start')
    works(t, port, '/tok', [('Authorization', 'Bearer ' + ALICE)]).close()
    works(t, port, '/tok', [('Authorization', 'Bearer ' + BOB)]).close()
    h.check_eq(answer(t, port, '/tok', [('Authorization', 'Bearer nope')]).status, 401, 'wrong')
    h.check_eq(answer(t, port, '/tok').status, 401, 'no credential')
    now = int(time.time())
    good = {'sub': 'erin', 'iss': 'https://id.test', 'aud': 'sb', 'exp': now + 60}
    works(t, port, '/jwt', [('Authorization', 'Bearer ' + jwt_hs256(good))]).close()
    r = answer(t, port, '/jwt', [('Authorization', 'Bearer ' + jwt_hs256(dict(good, aud='x')))])
    h.check_eq(r.status, 401, 'a JWT for another audience')
    works(t, port, '/rated', [('Authorization', 'Bearer ' + ALICE)]).close()
    h.check_eq(answer(t, port, '/rated', [('Authorization', 'Bearer ' + ALICE)]).status, 429,
               'past the burst')
    got = test_metrics.scrape(mport)
    # the address's bucket comes before any credential is checked: the 429 is not an auth
    want = {('tokens', 'admitted'): 3, ('tokens', 'refused'): 1, ('jwt', 'admitted'): 1,
            ('jwt', 'refused'): 1, ('basic', 'admitted'): 0, ('none', 'refused'): 1}
    for (method, result), n in sorted(want.items()):
        key = 'switchboard_auth_total{method="%s",result="%s"}' % (method, result)
        h.check_eq(got.get(key), n, key)
    h.check_eq(got.get('switchboard_rate_limited_total'), 1, '429s counted')
    h.check_eq(got.get('switchboard_auth_busy_total'), 0, 'no 503 for a full queue')
    text = ' '.join(got)
    for who in ('alice', 'bob', 'erin'):
        h.check(who not in text, 'an identity in a metric: %s' % who)
    no_secret(text, 'the metrics')


def echo(conn, n):
    conn.sendall(b'x' * n)
    h.check_eq(conn.recv_exact(n), b'x' * n, 'echo of %d bytes' % n)


@suite.case('switchboardctl token: its line admits its token; IDENTITY, --by identity')
def case_ctl_token(t):
    # no daemon needed: no --socket, nothing looked for
    r = cu.ctl(None, 'token', 'frank').expect(cu.OK)
    token, line = r.out.splitlines()
    h.check(re.fullmatch(r'[0-9a-f]{64}', token), 'a token of 64 hex digits: %r' % token)
    h.check_eq(line, 'frank ' + hashlib.sha256(token.encode()).hexdigest(), 'its line')
    j = cu.ctl(None, '--json', 'token', 'frank').expect(cu.OK).json()
    h.check_eq(sorted(j), ['line', 'name', 'token'], 'token --json members')
    h.check(j['token'] != token, 'a new token each time')
    h.check_eq(j['line'], 'frank ' + hashlib.sha256(j['token'].encode()).hexdigest(),
        'its line, --json')
    r = cu.ctl(None, 'token', '#frank').expect(cu.REFUSED)
    h.check_in('not starting with #', r.err, 'a name that would be a comment')

    d, port = setup(t, more_tokens=line + '\n')
    franks = [works(t, port, '/tok', [('Authorization', 'Bearer ' + token)]) for _ in range(2)]
    alice = works(t, port, '/tok?token=' + ALICE)
    r = answer(t, port, '/tok', [('Authorization', 'Bearer ' + j['token'])])
    h.check_eq(r.status, 401, 'a token whose line is not in the file')
    echo(franks[0], 1000)
    echo(franks[1], 500)
    echo(alice, 200)

    def by_identity():
        got = cu.ctl(d, '--json', 'connections', '--by', 'identity').expect(cu.OK).json()
        return got if [e['bytes_down'] for e in got] == [200, 1500] else None
    got = h.wait_for(by_identity, 10, 'the byte counters per identity')
    h.check_eq(got, [
        {'identity': 'alice', 'connections': 1, 'bytes_up': 200, 'bytes_down': 200},
        {'identity': 'frank', 'connections': 2, 'bytes_up': 1500, 'bytes_down': 1500}],
        'connections --by identity --json')
    lines = cu.ctl(d, 'connections', '--by', 'identity').expect(cu.OK).out.splitlines()
    h.check_eq([l.split() for l in lines], [['IDENTITY', 'CONNECTIONS', 'UP', 'DOWN'],
        ['alice', '1', '200B', '200B'], ['frank', '2', '1.5KiB', '1.5KiB']],
        'connections --by identity')

    lines = cu.ctl(d, 'connections').expect(cu.OK).out.splitlines()
    h.check(re.match(r'ID +ROUTE +IDENTITY +MODE +CLIENT +BACKEND +AGE +UP +DOWN$', lines[0]),
        'header: %r' % lines[0])
    h.check_eq(sorted((l.split()[2], l.split()[-1]) for l in lines[1:]),
        [('alice', '200B'), ('frank', '1000B'), ('frank', '500B')], 'IDENTITY column rows')

    r = cu.ctl(d, 'connections', '--by', 'route').expect(cu.REFUSED)
    h.check_in('--by takes identity', r.err, 'an unknown --by')
    for c in franks + [alice]:
        c.close()
    for text, what in ((d.log_text(), 'the log'), (json.dumps(got), '--by identity')):
        h.check(token not in text, '%s holds the token' % what)


if __name__ == '__main__':
    suite.run()
