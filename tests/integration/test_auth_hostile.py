#!/usr/bin/python3
"""Route auth "request" against a hostile auth service and hostile clients: a head that never
ends, an answer split byte by byte, a huge body, garbage, a service that never answers
while the client goes away or the policy is reloaded; a 64 KiB Authorization and thousands
of cookies. Every case ends with a clean stop (no sanitizer report)."""

import os
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('auth request, hostile')


class HostileService(h.Backend):
    """An auth service on 127.0.0.1 that does what "Authorization: Bearer WHAT" asks."""

    errors_expected = True

    def __init__(self):
        super().__init__()
        self.asked = []
        self.release = threading.Event()

    def serve(self, sock, rec):
        head = b''
        while b'\r\n\r\n' not in head:
            d = sock.recv(65536)
            if not d:
                return
            head += d
        text = head.decode('latin-1')
        what = ''
        for line in text.split('\r\n'):
            k, _, v = line.partition(':')
            if k.lower() == 'authorization':
                what = v.strip()[len('Bearer '):]
        with self.lock:
            self.asked.append(text)
        ok = b'HTTP/1.1 200 OK\r\nX-User: mallory\r\nContent-Length: 0\r\n\r\n'
        if what == 'endless':
            sock.sendall(b'HTTP/1.1 200 OK\r\n')
            deadline = time.monotonic() + h.scaled(5)
            while time.monotonic() < deadline:
                sock.sendall(b'X-Pad: ' + b'a' * 1000 + b'\r\n')
        elif what == 'bytewise':
            for i in range(len(ok)):
                sock.sendall(ok[i:i + 1])
                time.sleep(0.002)
        elif what == 'huge':
            sock.sendall(b'HTTP/1.1 200 OK\r\nX-User: mallory\r\nContent-Length: 1073741824'
                         b'\r\n\r\n')
            chunk = b'x' * 65536
            deadline = time.monotonic() + h.scaled(5)
            while time.monotonic() < deadline:
                sock.sendall(chunk)
        elif what == 'garbage':
            sock.sendall(b'SSH-2.0-OpenSSH\r\n\r\n')
        elif what == 'nul':
            sock.sendall(b'HTTP/1.1 200 OK\r\nX-User: mal\x00lory\r\n\r\n')
        elif what == 'close':
            pass
        elif what == 'silent':
            self.release.wait(h.scaled(10))
        else:
            sock.sendall(b'HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n')

    def count(self):
        with self.lock:
            return len(self.asked)


def policy(svc, echo, port, timeout_ms=1000, path='/svc'):
    url = 'http://127.0.0.1:%d/check' % svc.port
    auth = {'request': {'url': url, 'timeout_ms': timeout_ms, 'cache_s': 0,
                        'identity_header': 'X-User'}}
    return h.policy([h.plain_listener('plain', port)],
                    [h.route('svc', echo, path=path, auth=auth)])


def setup(t, timeout_ms=1000):
    svc = t.backend(HostileService)
    echo = t.backend(h.EchoBackend)
    port = h.free_port()
    d = t.daemon(policy(svc, echo, port, timeout_ms))
    return d, port, svc, echo


def ask(t, port, token, path='/svc', headers=()):
    conn = t.connect(port)
    resp = h.upgrade(conn, path=path, headers=[('Authorization', 'Bearer ' + token)] +
                     list(headers))
    conn.close()
    return resp


def echo_works(t, port):
    """A witness: the daemon still serves and echoes."""
    conn = t.connect(port)
    resp = h.upgrade(conn, path='/svc', headers=[('Authorization', 'Bearer bytewise')])
    h.check_eq(resp.status, 101, 'a witness after the hostile service')
    conn.sendall(b'ping')
    h.check_eq(conn.recv_exact(4), b'ping', 'the witness echoes')
    conn.close()


@suite.case('a head that never ends, garbage, a NUL, a close: 503; byte by byte and a 1 GB '
            'body: admitted at the head')
def case_answers(t):
    d, port, svc, _ = setup(t)
    for token in ('endless', 'garbage', 'nul', 'close'):
        start = time.monotonic()
        r = ask(t, port, token)
        h.check_eq(r.status, 503, 'a service answering %s' % token)
        h.check(time.monotonic() - start < h.scaled(1.5), '%s: the 503 came at once' % token)
    r = ask(t, port, 'bytewise')
    h.check_eq(r.status, 101, 'an answer split byte by byte')
    start = time.monotonic()
    r = ask(t, port, 'huge')
    h.check_eq(r.status, 101, 'an answer with a 1 GB body')
    h.check(time.monotonic() - start < h.scaled(1.5), 'the body is not read')
    echo_works(t, port)
    d.stop()
    h.check_eq(d.sanitizer_reports(), [], 'sanitizer reports')


@suite.case('clients that go away while the service is asked; a reload meanwhile')
def case_gone(t):
    d, port, svc, echo = setup(t, timeout_ms=3000)
    req = h.upgrade_request('/svc', headers=[('Authorization', 'Bearer silent')])
    conns = []
    for _ in range(8):
        c = t.connect(port)
        c.sendall(req)
        conns.append(c)
    h.wait_for(lambda: svc.count() == 8, 5, 'the service asked 8 times')
    for c in conns[:4]:
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        c.close()  # a reset: the daemon sees it while the service is still asked
    # a reload while four are still asked: the old revision's service answers them
    d.write_policy(policy(svc, echo, port, timeout_ms=3000, path='/other'))
    d.signal(signal.SIGHUP)
    d.wait_log('revision 2 applied', timeout=5)
    for c in conns[4:]:
        r = h.read_response(c)
        h.check_eq(r.status, 503, 'a request asked across a reload, no answer in time')
        c.close()
    svc.release.set()
    d.stop()
    h.check_eq(d.sanitizer_reports(), [], 'sanitizer reports')


@suite.case('a 64 KiB Authorization and 10,000 cookies: refused or asked, never a crash')
def case_big_client(t):
    d, port, svc, _ = setup(t)
    conn = t.connect(port)
    conn.sendall(h.upgrade_request('/svc', headers=[('Authorization', 'Bearer ' + 'A' * 65536)]))
    r = h.read_response(conn)
    h.check(r.status in (400, 413, 431), 'a 64 KiB Authorization: %d' % r.status)
    conn.close()
    cookies = '; '.join('c%d=1' % i for i in range(10000))
    conn = t.connect(port)
    conn.sendall(h.upgrade_request('/svc', headers=[('Cookie', cookies)]))
    r = h.read_response(conn)
    h.check(r.status in (400, 413, 431), '10,000 cookies in one header: %d' % r.status)
    conn.close()
    many = [('Cookie', 'c%d=1' % i) for i in range(2000)]
    conn = t.connect(port)
    conn.sendall(h.upgrade_request('/svc', headers=many))
    r = h.read_response(conn)
    h.check(r.status in (400, 401, 413, 431), '2,000 Cookie headers: %d' % r.status)
    conn.close()
    echo_works(t, port)
    d.stop()
    h.check_eq(d.sanitizer_reports(), [], 'sanitizer reports')


if __name__ == '__main__':
    suite.run()
