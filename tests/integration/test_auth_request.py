#!/usr/bin/python3
"""Route auth "request" against a real daemon and a small Python auth service: 2xx admits
with the identity from its header, 401 (with the service's WWW-Authenticate) and 403 are
passed on, a hanging service is a 503 within timeout_ms, a service that is down or fails is
a 503; answers are cached for cache_s by the credential; the forwarded headers; and no
secret in the refusal bodies, the events or the log."""

import http.server
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('auth request')

GOOD = 'svc-good-7f3e1d2c'
ONLY_A = 'svc-only-a-51c0'
COOKIE = 'session=cookie-secret-42aa'


class AuthService:
    """
    An HTTP auth service on 127.0.0.1: "Bearer svc-good-..." or the cookie is 200 with
    X-User, "Bearer svc-only-a-..." 200 for /svc/a only (403 elsewhere), "Bearer noid" 200
    without X-User, "Bearer badid" 200 with an X-User that is no identity, "Bearer forbidden"
    403, "Bearer hang" never answers, "Bearer boom" 500,
    anything else 401 with its own challenge. Counts the calls and keeps their headers.
    """

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def do_GET(self):
                with service.lock:
                    service.calls.append({'path': self.path, 'headers': dict(self.headers)})
                auth = self.headers.get('Authorization', '')
                cookie = self.headers.get('Cookie', '')
                if auth == 'Bearer hang':
                    service.release.wait(h.scaled(10))
                    return
                uri = self.headers.get('X-Original-URI', '')
                if auth == 'Bearer ' + GOOD or COOKIE in cookie:
                    self.answer(200, [('X-User', 'alice')])
                elif auth == 'Bearer ' + ONLY_A:
                    self.answer(200 if uri.startswith('/svc/a') else 403, [('X-User', 'bob')])
                elif auth == 'Bearer noid':
                    self.answer(200)
                elif auth == 'Bearer badid':
                    self.answer(200, [('X-User', 'two words')])
                elif auth == 'Bearer forbidden':
                    self.answer(403)
                elif auth == 'Bearer boom':
                    self.answer(500)
                else:
                    self.answer(401, [('WWW-Authenticate', 'Bearer realm="svc", scope="vnc"')])

            def answer(self, status, headers=()):
                body = b'the service body, never relayed\n'
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def count(self):
        with self.lock:
            return len(self.calls)


def setup(t, timeout_ms=500):
    svc = t.backend(AuthService)
    echo = t.backend(h.EchoBackend)
    down = h.free_port()
    port = h.free_port()
    url = 'http://127.0.0.1:%d/check?app=vnc' % svc.port

    def req(**kw):
        return dict({'url': url, 'timeout_ms': timeout_ms, 'identity_header': 'X-User'}, **kw)
    routes = [
        h.route('svc', echo, path='/svc', auth={'request': req()}),
        h.route('nocache', echo, path='/nocache', auth={'request': req(cache_s=0)}),
        h.route('anon', echo, path='/anon', auth={'request': {'url': url}}),
        h.route('down', echo, path='/down', auth={'request': req(
            url='http://127.0.0.1:%d/check' % down)}),
    ]
    d = t.daemon(h.policy([h.plain_listener('plain', port)], routes))
    return d, port, svc


def answer(t, port, path, headers=()):
    conn = t.connect(port)
    resp = h.upgrade(conn, path=path, token='sb-test', headers=headers)
    conn.close()
    return resp


def bearer(token):
    return [('Authorization', 'Bearer ' + token)]


def no_secret(text, what):
    for s in (GOOD, 'cookie-secret-42aa', 'never relayed'):
        h.check(s not in text, '%s holds %r' % (what, s))


@suite.case('2xx admits with the identity, the headers are forwarded, the answer cached')
def case_allow(t):
    d, port, svc = setup(t)
    ctl = t.control(d)
    conn = t.connect(port)
    resp = h.upgrade(conn, path='/svc?x=1', token='sb-test', headers=bearer(GOOD) + [
        ('Cookie', 'theme=dark')])
    h.check_eq(resp.status, 101, 'a good token')
    conn.sendall(b'ping')
    h.check_eq(conn.recv_exact(4), b'ping', 'echo through the admitted tunnel')
    listed = ctl.call('connections.list')
    h.check_in('alice', [c.get('identity') for c in listed], 'the identity from X-User')
    no_secret(json.dumps(listed), 'connections.list')
    conn.close()
    h.check_eq(svc.count(), 1, 'calls to the service')
    call = svc.calls[0]
    h.check_eq(call['path'], '/check?app=vnc', 'the URL path and query')
    hd = call['headers']
    h.check_eq(hd.get('Authorization'), 'Bearer ' + GOOD, 'Authorization forwarded')
    h.check_eq(hd.get('Cookie'), 'theme=dark', 'Cookie forwarded')
    h.check_eq(hd.get('X-Original-URI'), '/svc?x=1', 'X-Original-URI')
    h.check_eq(hd.get('X-Original-Host'), 'localhost', 'X-Original-Host (the Host sent)')
    h.check_eq(hd.get('X-Forwarded-For'), '127.0.0.1', 'X-Forwarded-For')
    h.check_eq(hd.get('X-Forwarded-Proto'), 'http', 'X-Forwarded-Proto')
    # the same credential again: from the cache, the service is not asked
    h.check_eq(answer(t, port, '/svc?x=1', bearer(GOOD) + [('Cookie', 'theme=dark')]).status,
               101, 'again')
    h.check_eq(svc.count(), 1, 'calls after a cached answer')
    # another credential is another key
    h.check_eq(answer(t, port, '/svc', [('Cookie', COOKIE)]).status, 101, 'the cookie')
    h.check_eq(svc.count(), 2, 'calls after another credential')
    # cache_s 0: every request asks
    for _ in range(2):
        h.check_eq(answer(t, port, '/nocache', bearer(GOOD)).status, 101, 'no cache')
    h.check_eq(svc.count(), 4, 'calls with cache_s 0')
    no_secret(d.log_text(), 'the log')


@suite.case('several Cookie fields reach the service as one, joined with "; "')
def case_cookies_joined(t):
    d, port, svc = setup(t)
    r = answer(t, port, '/svc', [('Cookie', 'theme=dark'), ('Cookie', COOKIE),
                                 ('Cookie', 'lang=en')])
    h.check_eq(r.status, 101, 'the session cookie in the second field')
    h.check_eq(svc.count(), 1, 'calls to the service')
    h.check_eq(svc.calls[0]['headers'].get('Cookie'), 'theme=dark; %s; lang=en' % COOKIE,
               'the Cookie forwarded (RFC 6265 5.4: "; " between cookie pairs)')


@suite.case('a 2xx that names no identity when identity_header asks for one is a 503')
def case_no_identity(t):
    d, port, svc = setup(t)
    ctl = t.control(d)
    ctl.call('events.subscribe')
    for token in ('noid', 'badid'):
        r = answer(t, port, '/svc', bearer(token))
        h.check_eq(r.status, 503, '200 from the service with %s' % token)
        h.check_in('the auth service named no identity', r.body.decode(errors='replace'),
                   'the 503 body for %s' % token)
        ev = ctl.wait_event('upgrade.rejected', status=503)
        h.check_in('named no identity', json.dumps(ev), 'the event has the reason')
    before = svc.count()
    h.check_eq(answer(t, port, '/svc', bearer('noid')).status, 503, 'again')
    h.check_eq(svc.count(), before + 1, 'such an answer is never cached')
    h.check_in('without a valid X-User', d.log_text(), 'the log says why')
    # no identity_header configured: a 2xx admits without an identity, as before
    h.check_eq(answer(t, port, '/anon', bearer('noid')).status, 101, 'no identity asked for')


@suite.case('an answer stands for the request it answered: another path asks again')
def case_cache_key(t):
    d, port, svc = setup(t)
    h.check_eq(answer(t, port, '/svc/a', bearer(ONLY_A)).status, 101, 'allowed on /svc/a')
    h.check_eq(answer(t, port, '/svc/a', bearer(ONLY_A)).status, 101, 'again, cached')
    h.check_eq(svc.count(), 1, 'calls after a cached answer')
    h.check_eq(answer(t, port, '/svc/b', bearer(ONLY_A)).status, 403,
               'the answer for /svc/a does not open /svc/b')
    h.check_eq(svc.count(), 2, 'calls after another path')


@suite.case('401 with the service challenge and 403 are passed on; refusals are cached')
def case_refuse(t):
    d, port, svc = setup(t)
    r = answer(t, port, '/svc')
    h.check_eq(r.status, 401, 'no credential')
    h.check_eq(r.header('WWW-Authenticate'), 'Bearer realm="svc", scope="vnc"',
               'the service challenge')
    no_secret(r.body.decode(errors='replace'), 'the 401 body')
    r = answer(t, port, '/svc', bearer('forbidden'))
    h.check_eq(r.status, 403, 'refused by the service')
    no_secret(r.body.decode(errors='replace'), 'the 403 body')
    before = svc.count()
    h.check_eq(answer(t, port, '/svc', bearer('forbidden')).status, 403, 'again')
    h.check_eq(svc.count(), before, 'a refusal is cached too')


@suite.case('a hanging service is a 503 within timeout_ms; a failing or absent one too; '
            'a stop while it is asked')
def case_fail(t):
    d, port, svc = setup(t, timeout_ms=500)
    ctl = t.control(d)
    ctl.call('events.subscribe')
    start = time.monotonic()
    r = answer(t, port, '/svc', bearer('hang'))
    took = time.monotonic() - start
    h.check_eq(r.status, 503, 'a service that never answers')
    h.check(0.45 <= took <= 0.5 + h.scaled(0.5), 'the 503 came after %.2f s' % took)
    body = r.body.decode(errors='replace')
    h.check_in('auth service is not available', body, 'the 503 body')
    h.check('127.0.0.1:%d' % svc.port not in body, 'the body names no address')
    ev = ctl.wait_event('upgrade.rejected', status=503)
    h.check_in('auth service', json.dumps(ev), 'the event has the reason')
    r = answer(t, port, '/svc', bearer('boom'))
    h.check_eq(r.status, 503, 'a service answering 500')
    before = svc.count()
    h.check_eq(answer(t, port, '/svc', bearer('boom')).status, 503, 'again')
    h.check_eq(svc.count(), before + 1, 'a failure is never cached')
    r = answer(t, port, '/down', bearer(GOOD))
    h.check_eq(r.status, 503, 'a service that is down')
    ctl.wait_event('upgrade.rejected', status=503)
    no_secret(d.log_text(), 'the log')
    h.check('Connection refused' in d.log_text(), 'the log says why')
    # the daemon stops while the service is being asked: the call is dropped, not leaked
    before = svc.count()
    conn = t.connect(port)
    conn.sendall(b'GET /svc HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n'
                 b'Upgrade: sb-test\r\nAuthorization: Bearer hang\r\n\r\n')
    h.wait_for(lambda: svc.count() == before + 1, 5, 'the service asked')
    d.stop()
    h.check_eq(d.sanitizer_reports(), [], 'sanitizer reports after the stop')


if __name__ == '__main__':
    suite.run()
