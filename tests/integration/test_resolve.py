#!/usr/bin/python3
"""Backend names resolved again every resolve_s, without a reload: a name that moves to
another address is followed (new tunnels there, old ones flow on), a name that stops
resolving keeps its last addresses and says why; reloads and a stop while a resolution
is on its way. getaddrinfo answers from a file (sbtest-preload.c, SBTEST_HOSTS)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import preload  # noqa: E402
from test_pools import NamedBackend, names, who  # noqa: E402

suite = h.Suite('backend names resolved again')

NAME = 'backend.test'


class BoundBackend(NamedBackend):
    """A NamedBackend on a given loopback address and port."""

    def __init__(self, name, host, port):
        super().__init__(name)
        self.lsock.close()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((host, port))
        self.lsock.listen(64)
        self.port = port


def start(t):
    """
    'one' on 127.0.0.1:P and 'two' on 127.0.0.2:P, the same port P; a daemon whose route
    pool has the one server NAME:P, resolved again each second, NAME at 127.0.0.1 first.
    Returns (P, the hosts file, the daemon, its port).
    """
    one = t.backend(NamedBackend, 'one')
    t.backend(BoundBackend, 'two', '127.0.0.2', one.port)
    hosts = t.path('hosts')
    preload.write_hosts(hosts, ['%s 127.0.0.1' % NAME])
    port = h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('pool', {'servers': ['%s:%d' % (NAME, one.port)], 'resolve_s': 1},
            path='/p')]), start=False)
    preload.start(d, hosts=hosts)
    return one.port, hosts, d, port


def listed(ctl):
    return {r['address']: r for r in ctl.call('backends.list')}


@suite.case('a name that moves is followed; one that fails keeps its last address')
def _(t):
    bport, hosts, d, port = start(t)
    a1, a2 = '127.0.0.1:%d' % bport, '127.0.0.2:%d' % bport
    ctl = t.control(d)
    ctl.subscribe()
    h.check_eq(list(listed(ctl)), [a1], 'the name stands for 127.0.0.1 at first')
    h.check_eq(set(names(t, port, 3)), {'one'}, 'tunnels go to 127.0.0.1')
    _, old = who(t, port)

    preload.write_hosts(hosts, ['%s 127.0.0.2' % NAME])
    ev = ctl.wait_event('backend.state', address=a2)
    h.check_eq((ev['route'], ev['server'], ev['state']), ('pool', '%s:%d' % (NAME, bport),
        'up'), 'the new address joins, up')
    ev = ctl.wait_event('backend.state', address=a1)
    h.check_eq(ev['state'], 'drain', 'the old address drains')
    h.check_eq(list(listed(ctl)), [a2], 'only the new address is listed')
    h.check_eq(set(names(t, port, 4)), {'two'}, 'new tunnels go to 127.0.0.2')
    old.sendall(b'still here')
    h.check_eq(old.recv_exact(10), b'still here', 'the tunnel on the old address flows on')

    since = d.log_size()
    preload.write_hosts(hosts, ['%s fail' % NAME])
    d.wait_log(r'route pool: backend %s:%d: cannot resolve %s: .*its last addresses stay'
        % (NAME, bport, NAME), since=since)
    row = h.wait_for(lambda: listed(ctl).get(a2, {}).get('last_error'), 5, 'last_error')
    h.check_in('cannot resolve %s' % NAME, row, 'last_error of the address kept')
    h.check_eq(list(listed(ctl)), [a2], 'the last address stays')
    h.check_eq(set(names(t, port, 2)), {'two'}, 'and still takes tunnels')
    out = subprocess.run([os.path.join(h.build_root(), 'daemon', 'switchboardctl'), '--socket',
        d.control, 'backends'], capture_output=True, text=True, timeout=20)
    h.check_in('cannot resolve %s' % NAME, out.stdout, 'switchboardctl backends shows it')
    h.check_eq(d.log_text()[since:].count('cannot resolve %s' % NAME), 1,
        'one log line while it keeps failing')

    preload.write_hosts(hosts, ['%s 127.0.0.1 127.0.0.2' % NAME])
    d.wait_log(r'route pool: backend %s:%d resolves again' % (NAME, bport), since=since)
    rows = h.wait_for(lambda: len(listed(ctl)) == 2 and listed(ctl), 5, 'both addresses')
    h.check_eq(rows[a2]['total'], 6, '127.0.0.2 kept its counters')
    h.check_eq(set(names(t, port, 4)), {'one', 'two'}, 'both take tunnels')
    old.sendall(b'and now')
    h.check_eq(old.recv_exact(7), b'and now', 'the old tunnel still flows')
    old.close()
    ctl.close()
    d.stop()


@suite.case('reloads while names are resolved again; a stop with a resolution on its way')
def _(t):
    bport, hosts, d, port = start(t)
    a1, a2 = '127.0.0.1:%d' % bport, '127.0.0.2:%d' % bport
    for i in range(12):
        preload.write_hosts(hosts, ['%s %s' % (NAME, '127.0.0.2' if i % 2 else '127.0.0.1')])
        d.signal(signal.SIGHUP)
        time.sleep(0.4)
    preload.write_hosts(hosts, ['%s 127.0.0.2' % NAME])
    ctl = t.control(d)
    h.wait_for(lambda: list(listed(ctl)) == [a2], 5, 'the pool follows the name at last')
    h.check_eq(set(names(t, port, 3)), {'two'}, 'tunnels go there')
    # A policy applied by hand between two resolutions keeps what they found.
    pol = json.load(open(d.policy_path))
    pol['routes'][0]['backend']['balance'] = 'first'
    rev = ctl.call('policy.get')['revision']
    ctl.call('policy.apply', {'policy': pol, 'revision': rev, 'persist': False})
    h.check_eq(list(listed(ctl)), [a2], 'still the address the name has')
    h.check(a1 not in listed(ctl), 'the old one is gone')
    ctl.close()
    # Slow answers: the daemon stops while a resolution is on a worker. One starts at
    # most about 2 s after the last one ended (resolve_s 1, a tick a second).
    preload.write_hosts(hosts, ['%s delay:3000 127.0.0.1' % NAME])
    time.sleep(2.5)
    d.stop(timeout=15)
    h.check_eq(d.sanitizer_reports(), [], 'sanitizer reports')


if __name__ == '__main__':
    suite.run()
