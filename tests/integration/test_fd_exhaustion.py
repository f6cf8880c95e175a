#!/usr/bin/python3
"""Descriptors run out: with a low RLIMIT_NOFILE and idle connections held until accept(2)
fails with EMFILE, the daemon stops accepting for a while instead of spinning on its
level-triggered listeners (the TCP listener and the control socket): its CPU time stays low,
its log small (one line per interval), a client that comes meanwhile is told 503 on the
reserve descriptor, and once the held connections close it serves again."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('descriptor exhaustion')

NOFILE = 96          # hard and soft, and no CAP_SYS_RESOURCE to raise the hard one
HOLD_MAX = 400       # connections the test may open to exhaust the daemon
WINDOW_S = 3.0       # how long the exhausted daemon is watched
CPU_MAX_S = 0.5      # its CPU time over the window (a spinning loop takes a whole core)
LOG_GROWTH_MAX = 64 << 10


class LimitedDaemon(h.Daemon):
    """switchboardd started under prlimit, so that it runs out of descriptors early."""

    def argv(self, check=False):
        return h.nofile_argv(NOFILE, NOFILE) + super().argv(check)


def cpu_seconds(pid):
    """utime + stime of the whole process (every thread), from /proc/PID/stat."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def hold_until_exhausted(t, d, port):
    """Opens idle connections until the daemon logs that accept found no descriptor."""
    held = []
    rx = 'accept: Too many open files'
    for _ in range(HOLD_MAX):
        s = socket.create_connection(('127.0.0.1', port), timeout=10)
        held.append(s)
        if len(held) % 10 == 0 and rx in d.log_text():
            break
    d.wait_log(rx, timeout=10)
    # Descriptors freed late (the harness's probes of the ports at start) are taken again
    # once the paused listener is back (a tick, about a second).
    time.sleep(0.5)
    for _ in range(10):
        held.append(socket.create_connection(('127.0.0.1', port), timeout=10))
    time.sleep(2.5)
    return held


def close_all(socks):
    for s in socks:
        s.close()
    socks.clear()


@suite.case('out of descriptors: no spinning, a short log, a 503, then service again',
    timeout=120)
def _(t):
    port, tls_port = h.free_port(), h.free_port()
    pol = h.policy([h.plain_listener('plain', port),
                    h.tls_listener('tls', tls_port, h.localhost_pair())],
        [h.route('echo', 'builtin:echo', path='/echo')],
        limits={'handshake_timeout_s': 300})
    d = LimitedDaemon(t, pol, args=['--threads', '2'])
    t.daemons.append(d)
    d.start()

    # A TLS connection that says nothing holds one descriptor until its handshake timeout.
    held = hold_until_exhausted(t, d, tls_port)
    t.on_cleanup(lambda: close_all(held))
    # The control socket's listener is level-triggered too: a client waits in its backlog.
    ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    t.on_cleanup(ctl.close)
    ctl.settimeout(10)
    ctl.connect(d.control)

    cpu0, log0, t0 = cpu_seconds(d.proc.pid), d.log_size(), time.monotonic()
    time.sleep(WINDOW_S)
    cpu = cpu_seconds(d.proc.pid) - cpu0
    grown = d.log_size() - log0
    elapsed = time.monotonic() - t0
    print('# out of descriptors for %.1f s: %.2f s of CPU, %d bytes of log' % (elapsed, cpu,
        grown), flush=True)
    h.check(cpu <= CPU_MAX_S, 'the daemon used %.2f s of CPU in %.1f s while out of '
        'descriptors (at most %.1f s expected)' % (cpu, elapsed, CPU_MAX_S))
    h.check(grown <= LOG_GROWTH_MAX, 'the daemon log grew by %d bytes in %.1f s while out of '
        'descriptors (at most %d expected)' % (grown, elapsed, LOG_GROWTH_MAX))
    h.check(d.alive(), 'the daemon is alive while out of descriptors')

    # A newcomer is told why rather than left hanging: 503 on the reserve descriptor.
    late = h.connect(port, timeout=h.scaled(10))
    t.on_cleanup(late.close)
    resp = h.upgrade(late, '/echo')
    h.check_eq(resp.status, 503, 'answer to a client while out of descriptors')
    line = ctl.recv(4096)
    h.check_in(b'out of file descriptors', line, 'answer of the control socket')
    d.wait_log(r'connection\(s\) refused, \d+ accept\(s\) put off', timeout=10)

    # Descriptors come back: the daemon serves again, TCP and control alike.
    close_all(held)

    def serves():
        try:
            conn = h.connect(port, timeout=h.scaled(5))
        except OSError:
            return False
        try:
            resp = h.upgrade(conn, '/echo')
            if resp.status != 101:
                return False
            conn.sendall(b'again')
            return conn.recv_exact(5) == b'again'
        finally:
            conn.close()
    h.wait_for(serves, 10, 'a tunnel through the daemon once descriptors were free')
    st = t.control(d).call('status')
    h.check(st['counters']['rejected'] >= 1, 'the refusals are counted: %r' % st['counters'])
    d.stop()


suite.run()
