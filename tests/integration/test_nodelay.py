#!/usr/bin/python3
"""Both TCP sockets of a tunnel, the client's and the backend's, have Nagle's algorithm
off (TCP_NODELAY): a small message, a keystroke over SSH or VNC, goes out at once and
never waits for the delayed ACK of the one before. Read from the daemon's own sockets,
duplicated into the test with pidfd_getfd(2) (the test runs as root, as CI does)."""

import ctypes
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('TCP_NODELAY on both sides of a tunnel')

SYS_PIDFD_OPEN, SYS_PIDFD_GETFD = 434, 438
libc = ctypes.CDLL(None, use_errno=True)


def daemon_sockets(pid):
    """(local, peer, TCP_NODELAY) of every TCP socket of pid."""
    pidfd = libc.syscall(SYS_PIDFD_OPEN, pid, 0)
    h.check(pidfd >= 0, 'pidfd_open: %s' % os.strerror(ctypes.get_errno()))
    found = []
    try:
        for name in os.listdir('/proc/%d/fd' % pid):
            try:
                if not os.readlink('/proc/%d/fd/%s' % (pid, name)).startswith('socket:'):
                    continue
            except FileNotFoundError:
                continue  # closed meanwhile
            fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
            if fd < 0:
                continue
            s = socket.socket(fileno=fd)
            try:
                if s.family in (socket.AF_INET, socket.AF_INET6) and s.type == socket.SOCK_STREAM:
                    try:
                        peer = s.getpeername()
                    except OSError:
                        peer = None  # a listening socket
                    found.append((s.getsockname(), peer,
                        s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))
            finally:
                s.close()
    finally:
        os.close(pidfd)
    return found


@suite.case('the client and the backend socket of TLS and plain tunnels have TCP_NODELAY')
def _(t):
    echo = t.backend(h.EchoBackend)
    plain, tls = h.free_port(), h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', plain),
        h.tls_listener('tls', tls, h.localhost_pair())],
        [h.route('echo', echo, path='/echo')]))
    for port, opts in ((plain, None), (tls, True)):
        conn = t.tunnel(port, '/echo', tls=opts)
        conn.sendall(b'k')
        h.check_eq(conn.recv_exact(1), b'k', 'echo')
        mine = conn.sock.getsockname()
        socks = daemon_sockets(d.proc.pid)
        client = [nd for local, peer, nd in socks if peer == mine]
        backend = [nd for local, peer, nd in socks if peer is not None and peer[1] == echo.port]
        h.check_eq(len(client), 1, 'the daemon holds our connection (%d): %r' % (port, socks))
        h.check_eq(len(backend), 1, 'the daemon holds one backend connection: %r' % socks)
        h.check(client[0] != 0, 'TCP_NODELAY on the client side (%d)' % port)
        h.check(backend[0] != 0, 'TCP_NODELAY on the backend side (%d)' % port)
        conn.close()
        h.wait_for(lambda: not any(peer is not None and peer[1] == echo.port
            for _, peer, _ in daemon_sockets(d.proc.pid)), h.scaled(10), 'the tunnel to close')
    d.stop()


if __name__ == '__main__':
    suite.run()
