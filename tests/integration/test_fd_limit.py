#!/usr/bin/python3
"""The descriptor limit: the daemon raises its soft RLIMIT_NOFILE to the hard one, raises the
hard one too where it may (CAP_SYS_RESOURCE) up to what limits.max_connections needs (four
per connection plus 256), on start and on reload, never lowers either, and logs what it got;
without the capability it warns that the hard limit stays."""

import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('descriptor limit')

MAY_RAISE = h.may_raise_nofile()


def need(max_connections):
    return 4 * max_connections + 256


class LimitedDaemon(h.Daemon):
    """switchboardd started under prlimit (and, with drop_cap, without CAP_SYS_RESOURCE)."""

    def __init__(self, ctx, policy, nofile, drop_cap=False):
        super().__init__(ctx, policy)
        self.nofile, self.drop_cap = nofile, drop_cap

    def argv(self, check=False):
        if self.drop_cap:
            return h.nofile_argv(*self.nofile) + super().argv(check)
        return ['prlimit', '--nofile=%d:%d' % self.nofile, '--'] + super().argv(check)


def nofile_of(pid):
    """(soft, hard) of a running process, from /proc/PID/limits."""
    with open('/proc/%d/limits' % pid) as f:
        for line in f:
            if line.startswith('Max open files'):
                soft, hard = line.split()[3:5]
                return int(soft), int(hard)
    raise h.Fail('no "Max open files" in /proc/%d/limits' % pid)


def start(t, max_connections, nofile, drop_cap=False):
    port = h.free_port()
    pol = h.policy([h.plain_listener('plain', port)],
        [h.route('echo', 'builtin:echo', path='/echo')],
        limits={'max_connections': max_connections})
    d = LimitedDaemon(t, pol, nofile, drop_cap)
    t.daemons.append(d)
    d.start()
    return d, pol, port


def echoes(port):
    conn = h.connect(port)
    try:
        h.check_eq(h.upgrade(conn, '/echo').status, 101, 'upgrade after the limit was raised')
        conn.sendall(b'ping')
        h.check_eq(conn.recv_exact(4), b'ping', 'echo')
    finally:
        conn.close()


@suite.case('a hard limit above the need: the soft limit rises to it')
def _(t):
    d, _, port = start(t, 500, (64, 4096))
    h.check_eq(nofile_of(d.proc.pid), (4096, 4096), 'soft and hard limit of the daemon')
    d.wait_log(r'descriptors: 4096 \(hard limit 4096\) for 500 connections')
    echoes(port)


@suite.case('a hard limit below the need: raised with CAP_SYS_RESOURCE, also on reload')
def _(t):
    d, pol, port = start(t, 500, (64, 1000))
    if not MAY_RAISE:
        # Without the capability the hard limit stays, and the log says so.
        h.check_eq(nofile_of(d.proc.pid), (1000, 1000), 'limits of an unprivileged daemon')
        d.wait_log(r'descriptors: 1000 of the %d .* no CAP_SYS_RESOURCE' % need(500))
        return
    h.check_eq(nofile_of(d.proc.pid), (need(500), need(500)), 'limits of a daemon with CAP_SYS_RESOURCE')
    d.wait_log(r'descriptors: %d \(hard limit %d\) for 500 connections'
        % (need(500), need(500)))
    since = d.log_size()
    pol['limits']['max_connections'] = 1000
    d.write_policy(pol)
    d.signal(signal.SIGHUP)
    d.wait_log(r'descriptors: %d \(hard limit %d\) for 1000 connections'
        % (need(1000), need(1000)), since=since)
    h.check_eq(nofile_of(d.proc.pid), (need(1000), need(1000)), 'limits after the reload')
    # A lower need lowers nothing.
    since = d.log_size()
    pol['limits']['max_connections'] = 10
    d.write_policy(pol)
    d.signal(signal.SIGHUP)
    d.wait_log(r'policy revision \d+ applied', since=since)
    h.check_eq(nofile_of(d.proc.pid), (need(1000), need(1000)), 'limits after a lower need')
    echoes(port)


@suite.case('without CAP_SYS_RESOURCE the hard limit stays and a warning says why')
def _(t):
    d, _, port = start(t, 500, (64, 1000), drop_cap=True)
    h.check_eq(nofile_of(d.proc.pid), (1000, 1000), 'limits without the capability')
    d.wait_log(r'descriptors: 1000 of the %d that 500 connections may take '
        r'\(the hard limit stays: no CAP_SYS_RESOURCE\)' % need(500))
    lines = [ln for ln in d.log_text().splitlines() if 'descriptors:' in ln]
    h.check(len(lines) == 1 and re.search(r'\bwarn', lines[0], re.I) is not None,
        'the shortfall is one warning: %r' % lines)
    echoes(port)


suite.run()
