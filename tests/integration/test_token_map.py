#!/usr/bin/python3
"""A backend token_map in websockify's TokenFile format: python-websockets with ?token=
reaches the server its token names, an unknown token is a 404, the file is read again when
it changes (on a worker: a slow name in it stalls no loop), a folder of such files works,
the token never reaches the backend, and the same file works with websockify itself.
getaddrinfo answers slow names from a file (sbtest-preload.c, SBTEST_HOSTS)."""

import os
import shutil
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import preload  # noqa: E402
import wsutil as ws  # noqa: E402

suite = h.Suite('token map')


class NamedEcho(h.Backend):
    """Says its name, then echoes; keeps the first bytes each connection sent."""
    record_limit = 0

    def __init__(self, name):
        super().__init__()
        self.name = name.encode()

    def serve(self, sock, rec):
        sock.sendall(self.name)
        self.read_to_eof(sock, rec, echo=True)
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the client is gone already


def talk(port, path):
    """Connects with python-websockets: the server's greeting, then an echo of b'hi'."""
    async def run():
        async with ws.lib_connect(port, path, None) as conn:
            hello = await conn.recv()
            await conn.send(b'hi')
            return hello, await conn.recv()
    return ws.run(run(), h.scaled(10))


def status_of(port, path):
    """The HTTP status of the WebSocket handshake with python-websockets."""
    import websockets

    async def run():
        try:
            async with ws.lib_connect(port, path, None):
                return 101
        except websockets.exceptions.InvalidStatusCode as e:
            return e.status_code
    return ws.run(run(), h.scaled(10))


def vnc_route(source):
    return h.route('vnc', {'token_map': source}, path='/websockify', upgrade='websocket',
                   mode='websocket')


def setup(t, source, **auth):
    port = h.free_port()
    route = vnc_route(source)
    if auth:
        route['auth'] = auth
    d = t.daemon(h.policy([h.plain_listener('plain', port)], [route]))
    return d, port


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)


@suite.case('two tokens, two backends, with python-websockets and ?token=; unknown is 404')
def case_two(t):
    a, b = t.backend(NamedEcho, 'A'), t.backend(NamedEcho, 'B')
    targets = t.path('targets.txt')
    write(targets, '# noVNC targets\ntok-a: 127.0.0.1:%d\n\ntok-b: localhost:%d\n' % (
        a.port, b.port))
    d, port = setup(t, targets)
    base = '/websockify'
    h.check_eq(talk(port, base + '?token=tok-a'), (b'A', b'hi'), 'tok-a reaches A')
    h.check_eq(talk(port, base + '?token=tok-b'), (b'B', b'hi'), 'tok-b reaches B')
    h.check_eq(status_of(port, base + '?token=tok-c'), 404, 'an unknown token')
    h.check_eq(status_of(port, base), 404, 'no token')
    for near in ('tok-', 'tok-aa', 'TOK-A', 'tok-a%20', 'tok-a%00'):
        h.check_eq(status_of(port, base + '?token=' + near), 404, 'a token near tok-a: ' + near)
    # the file changes: read again (at most once a second, and mtime must move)
    time.sleep(1.1)
    write(targets, 'tok-a: 127.0.0.1:%d\ntok-c: 127.0.0.1:%d\n' % (b.port, a.port))
    h.wait_for(lambda: status_of(port, base + '?token=tok-c') == 101, 5,
               'tok-c after the change')
    h.check_eq(talk(port, base + '?token=tok-c'), (b'A', b'hi'), 'tok-c reaches A')
    h.check_eq(talk(port, base + '?token=tok-a'), (b'B', b'hi'), 'tok-a now reaches B')
    h.check_eq(status_of(port, base + '?token=tok-b'), 404, 'tok-b is gone')
    d.wait_log('token map .* read again')
    # a broken file keeps the last map
    time.sleep(1.1)
    write(targets, 'this is not a token line\n')
    h.check_eq(talk(port, base + '?token=tok-a'), (b'B', b'hi'), 'the last map stays')
    d.wait_log('the last one read stays')
    h.check_eq(talk(port, base + '?token=tok-a'), (b'B', b'hi'), 'the last map still stays')
    # a file that is gone keeps the last map too, with one warning until it is back
    time.sleep(1.1)
    since = d.log_size()
    os.unlink(targets)
    h.check_eq(talk(port, base + '?token=tok-a'), (b'B', b'hi'), 'the file is gone')
    d.wait_log('No such file or directory; the last one read stays', since=since)
    time.sleep(1.1)
    h.check_eq(talk(port, base + '?token=tok-a'), (b'B', b'hi'), 'the file is still gone')
    time.sleep(0.5)
    h.check_eq(d.log_text()[since:].count('the last one read stays'), 1, 'warnings')
    write(targets, 'tok-a: 127.0.0.1:%d\n' % a.port)
    h.wait_for(lambda: talk(port, base + '?token=tok-a') == (b'A', b'hi'), 5,
               'tok-a from the file that is back')
    h.check('tok-a' not in d.log_text(), 'no token in the log')


SLOW = 'slow.test'
# How long SLOW takes to resolve: longer than any bound on an answer below, scaled or not.
SLOW_MS = int(2000 * h.TIME_SCALE)


def slow_daemon(t, targets, *routes):
    """A daemon with one loop (--threads 1) whose getaddrinfo takes SLOW_MS for SLOW."""
    hosts = t.path('hosts')
    preload.write_hosts(hosts, ['%s delay:%d 127.0.0.1' % (SLOW, SLOW_MS)])
    port = h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)], [vnc_route(targets)] + list(routes)),
                 start=False, args=['--threads', '1'])
    preload.start(d, hosts=hosts)
    return d, port


def timed(fn, *args):
    start = time.monotonic()
    value = fn(*args)
    return value, time.monotonic() - start


@suite.case('a re-read resolving a slow name stalls no loop; its token works once it is done')
def case_slow(t):
    a, b = t.backend(NamedEcho, 'A'), t.backend(NamedEcho, 'B')
    echo = t.backend(h.EchoBackend)
    targets = t.path('targets.txt')
    write(targets, 'tok-a: 127.0.0.1:%d\n' % a.port)
    d, port = slow_daemon(t, targets, h.route('echo', echo, path='/echo'))
    base = '/websockify'
    h.check_eq(talk(port, base + '?token=tok-a'), (b'A', b'hi'), 'tok-a before the change')
    witness = h.Witness(t.tunnel(port, '/echo'))
    time.sleep(1.1)
    since = d.log_size()
    write(targets, 'tok-a: 127.0.0.1:%d\ntok-slow: %s:%d\n' % (a.port, SLOW, b.port))
    # The first lookup after the change starts the re-read; the ones behind it, on the
    # same loop as the witness, answer from the map before while it resolves SLOW.
    during, slowest = 0, 0.0
    started = time.monotonic()
    for _ in range(100):
        if time.monotonic() - started > SLOW_MS / 1000 / 2 or \
                'read again' in d.log_text()[since:]:
            break
        answer, took = timed(talk, port, base + '?token=tok-a')
        h.check_eq(answer, (b'A', b'hi'), 'tok-a while the file is read again')
        slowest = max(slowest, took)
        during += 1
    h.check(slowest <= h.scaled(0.5),
            'a tok-a upgrade took %.2f s while the file was read again' % slowest)
    h.check(during >= 2, 'only %d tok-a upgrades before the re-read was done' % during)
    h.check('read again' not in d.log_text()[since:],
            'the re-read ended before %.1f s' % (SLOW_MS / 1000 / 2))
    witness.check('the re-read of the token map', max_rtt=0.5)
    d.wait_log('token map .* read again: 2 tokens', timeout=SLOW_MS / 1000 + 5, since=since)
    h.wait_for(lambda: status_of(port, base + '?token=tok-slow') == 101, 5,
               'tok-slow after the re-read')
    h.check_eq(talk(port, base + '?token=tok-slow'), (b'B', b'hi'), 'tok-slow reaches B')
    witness.check('the re-read of the token map', max_rtt=0.5)
    witness.stop()
    h.check_eq(d.sanitizer_reports(), [], 'sanitizer reports')


@suite.case('a reload, and a stop, while a re-read of the map is on a worker')
def case_slow_teardown(t):
    a = t.backend(NamedEcho, 'A')
    files = [t.path('targets-%d.txt' % i) for i in range(2)]
    for f in files:
        write(f, 'tok-a: 127.0.0.1:%d\n' % a.port)
    d, port = slow_daemon(t, files[0])
    base = '/websockify'

    def start_reread(source, token):
        time.sleep(1.1)
        write(source, 'tok-a: 127.0.0.1:%d\n%s: %s:1\n' % (a.port, token, SLOW))
        h.check_eq(talk(port, base + '?token=tok-a'), (b'A', b'hi'), 'tok-a, which starts it')

    # A reload to another file, which reads at once: the map the re-read works on goes
    # with its revision meanwhile.
    start_reread(files[0], 'tok-slow0')
    since = d.log_size()
    pol = dict(d.policy, routes=[vnc_route(files[1])])
    d.write_policy(pol)
    d.signal(signal.SIGHUP)
    d.wait_log('policy revision 2 applied', since=since)
    h.check('read again' not in d.log_text()[since:], 'the re-read was done before the reload')
    h.check_eq(talk(port, base + '?token=tok-a'), (b'A', b'hi'), 'after the reload')
    d.wait_log('read again: 2 tokens', timeout=SLOW_MS / 1000 + 5, since=since)
    # A stop while a re-read of the new map runs: the pool lets it finish.
    start_reread(files[1], 'tok-slow1')
    d.stop(timeout=SLOW_MS / 1000 + 10)
    h.check_eq(d.sanitizer_reports(), [], 'sanitizer reports')


@suite.case('a folder of token files; a token listed twice is refused on reload')
def case_folder(t):
    a, b = t.backend(NamedEcho, 'A'), t.backend(NamedEcho, 'B')
    folder = t.path('tokens.d')
    os.mkdir(folder)
    write(os.path.join(folder, 'one'), 'tok-a: 127.0.0.1:%d\n' % a.port)
    write(os.path.join(folder, 'two'), 'tok-b: [::1]:1\ntok-b2: 127.0.0.1:%d\n' % b.port)
    d, port = setup(t, folder)
    base = '/websockify'
    h.check_eq(talk(port, base + '?token=tok-a'), (b'A', b'hi'), 'from the first file')
    h.check_eq(talk(port, base + '?token=tok-b2'), (b'B', b'hi'), 'from the second file')
    h.check_eq(status_of(port, base + '?token=tok-b'), 502, 'a target that refuses')
    # a token listed in two files is refused at apply, with the file named
    write(os.path.join(folder, 'three'), 'tok-a: 127.0.0.1:%d\n' % b.port)
    # a reload reads the folder again and refuses it, keeping the map before
    since = d.log_size()
    d.signal(signal.SIGHUP)
    d.wait_log(r'listed in two files', since=since)
    h.check_eq(talk(port, base + '?token=tok-a'), (b'A', b'hi'), 'the map before the reload stays')


@suite.case('the token is removed from the request replayed to the backend (h2c)')
def case_stripped(t):
    rec = t.backend(h.RecordBackend)
    targets = t.path('targets.txt')
    write(targets, 'secret-tok-1: 127.0.0.1:%d\n' % rec.port)
    port = h.free_port()
    route = h.route('h2', {'token_map': targets}, path='/raw', upgrade='h2c', mode='h2c')
    d = t.daemon(h.policy([h.plain_listener('plain', port)], [route]))
    conn = t.connect(port)
    conn.sendall(('GET /raw?a=1&token=secret-tok-1&b=2 HTTP/1.1\r\nHost: localhost\r\n'
                  'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n'
                  'HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n').encode())
    h.check_eq(h.read_head(conn).status, 101, 'the h2c upgrade')
    h.wait_for(lambda: rec.accepted() == 1 and b'/raw' in rec.records[0].data, 5,
               'the replayed request at the backend')
    conn.close()
    data = bytes(rec.records[0].data)
    h.check(b'/raw?a=1&b=2' in data, 'the other parameters are replayed: %r' % data[:200])
    h.check(b'secret-tok-1' not in data, 'the token is not replayed')
    h.check('secret-tok-1' not in d.log_text(), 'no token in the log')


@suite.case('the same TokenFile works with websockify itself')
def case_websockify(t):
    if shutil.which('websockify') is None:
        raise h.Skip('websockify is not installed (Debian package websockify)')
    a, b = t.backend(NamedEcho, 'A'), t.backend(NamedEcho, 'B')
    targets = t.path('targets.txt')
    write(targets, 'tok-a: 127.0.0.1:%d\ntok-b: 127.0.0.1:%d\n' % (a.port, b.port))
    d, port = setup(t, targets)
    wport = h.free_port()
    t.process(['websockify', '--token-plugin', 'TokenFile', '--token-source', targets,
               '127.0.0.1:%d' % wport], 'websockify', port=wport, timeout=h.scaled(20))
    for p, base in ((port, '/websockify'), (wport, '/')):
        h.check_eq(talk(p, base + '?token=tok-a'), (b'A', b'hi'), 'port %d tok-a' % p)
        h.check_eq(talk(p, base + '?token=tok-b'), (b'B', b'hi'), 'port %d tok-b' % p)


if __name__ == '__main__':
    suite.run()
