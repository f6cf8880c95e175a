#!/usr/bin/python3
"""systemd's notify protocol, against a fake NOTIFY_SOCKET: READY=1, STATUS= with live counts,
and WATCHDOG=1 at half of WATCHDOG_USEC, only for the pid WATCHDOG_PID names."""

import os
import re
import signal
import socket
import threading
import time

import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('systemd notify')


class Notify:
    """A datagram socket standing in for systemd's: every message, with when it came."""

    def __init__(self, t):
        self.path = t.path('notify.sock')
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.lock = threading.Lock()
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        t.on_cleanup(self.close)

    def _run(self):
        while not self.done:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                for line in data.decode().split('\n'):
                    self.messages.append((time.monotonic(), line))

    def lines(self, prefix):
        with self.lock:
            return [(at, m) for at, m in self.messages if m.startswith(prefix)]

    def close(self):
        self.done = True
        self.thread.join(2)
        self.sock.close()


def start(t, watchdog_usec=None, watchdog_pid='self'):
    """A daemon whose environment has NOTIFY_SOCKET (and the watchdog's variables)."""
    notify = Notify(t)
    echo = t.backend(h.EchoBackend)
    port = h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('echo', echo, path='/echo')]), start=False)
    env = {'NOTIFY_SOCKET': notify.path}
    if watchdog_usec is not None:
        env['WATCHDOG_USEC'] = str(watchdog_usec)
    argv = d.argv
    # WATCHDOG_PID names the daemon itself: the shell's pid, which exec keeps
    pid = '$$' if watchdog_pid == 'self' else str(watchdog_pid)
    prefix = 'WATCHDOG_PID=%s ' % pid if watchdog_pid is not None else ''
    d.argv = lambda check=False: ['sh', '-c', prefix + 'exec "$@"', 'sh'] + argv(check)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        d.start()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    h.wait_for(lambda: notify.lines('READY=1'), 5, 'READY=1')
    return d, port, notify


@suite.case('READY=1, then STATUS= with the counts; it follows a tunnel open and closed')
def _(t):
    d, port, notify = start(t)
    h.wait_for(lambda: notify.lines('STATUS='), 5, 'a STATUS= line')
    h.check_eq(notify.lines('STATUS=')[-1][1],
        'STATUS=connections 0, tunnels 0, policy revision 1', 'the first status')
    conn = t.tunnel(port, '/echo')
    h.wait_for(lambda: notify.lines('STATUS=')[-1][1] ==
        'STATUS=connections 1, tunnels 1, policy revision 1', 5, 'the status with a tunnel')
    conn.close()
    h.wait_for(lambda: notify.lines('STATUS=')[-1][1] ==
        'STATUS=connections 0, tunnels 0, policy revision 1', 5, 'the status after it')
    d.write_policy(d.policy)
    d.signal(signal.SIGHUP)
    h.wait_for(lambda: re.search(r'revision 2$', notify.lines('STATUS=')[-1][1]), 5,
        'the status after a reload')
    h.check(not notify.lines('WATCHDOG=1'), 'no WATCHDOG=1 without WATCHDOG_USEC')
    h.check(len(notify.lines('RELOADING=1')) == 1, 'RELOADING=1 around the reload')


@suite.case('WATCHDOG_USEC=2 s: WATCHDOG=1 about every second')
def _(t):
    d, port, notify = start(t, watchdog_usec=2000000)
    h.wait_for(lambda: len(notify.lines('WATCHDOG=1')) >= 4, h.scaled(6), 'four pings')
    at = [a for a, _ in notify.lines('WATCHDOG=1')]
    gaps = [b - a for a, b in zip(at, at[1:])]
    h.check(max(gaps) < h.scaled(1.6), 'pings at most ~1 s apart: %r' % gaps)
    h.check(min(gaps) > 0.5, 'pings not sent too often: %r' % gaps)
    d.wait_log(r'watchdog pings every 1000 ms')


@suite.case('WATCHDOG_PID of another process: no pings')
def _(t):
    d, port, notify = start(t, watchdog_usec=2000000, watchdog_pid=1)
    time.sleep(h.scaled(2.5))
    h.check(notify.lines('STATUS='), 'STATUS= still comes')
    h.check_eq(notify.lines('WATCHDOG=1'), [], 'no WATCHDOG=1 for another pid')


suite.run()
