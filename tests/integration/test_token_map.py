#!/usr/bin/python3
"""A backend token_map in websockify's TokenFile format: python-websockets with ?token=
reaches the server its token names, an unknown token is a 404, the file is read again when
it changes, a folder of such files works, the token never reaches the backend, and the same
file works with websockify itself."""

import os
import shutil
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
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


def setup(t, source, **auth):
    port = h.free_port()
    route = h.route('vnc', {'token_map': source}, path='/websockify', upgrade='websocket',
                    mode='websocket')
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
    # the file changes: read again (at most once a second, and mtime must move)
    time.sleep(1.1)
    write(targets, 'tok-a: 127.0.0.1:%d\ntok-c: 127.0.0.1:%d\n' % (b.port, a.port))
    h.wait_for(lambda: status_of(port, base + '?token=tok-c') == 101, 5,
               'tok-c after the change')
    h.check_eq(talk(port, base + '?token=tok-c'), (b'A', b'hi'), 'tok-c reaches A')
    h.check_eq(talk(port, base + '?token=tok-a'), (b'B', b'hi'), 'tok-a now reaches B')
    h.check_eq(status_of(port, base + '?token=tok-b'), 404, 'tok-b is gone')
    h.check_in('read again', d.log_text(), 'the log says it was read again')
    # a broken file keeps the last map
    time.sleep(1.1)
    write(targets, 'this is not a token line\n')
    h.check_eq(talk(port, base + '?token=tok-a'), (b'B', b'hi'), 'the last map stays')
    h.check_in('the last one read stays', d.log_text(), 'the warning')
    h.check('tok-a' not in d.log_text(), 'no token in the log')


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
