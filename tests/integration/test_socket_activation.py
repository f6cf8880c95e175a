#!/usr/bin/python3
"""systemd socket activation (LISTEN_FDS, LISTEN_PID), with activate.py in systemd's place: a
listener whose bind matches a passed socket uses it and binds the others itself, and a restart
refuses nothing, because the socket and the connections waiting in it outlive the daemon."""

import os
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import wsutil as w  # noqa: E402

suite = h.Suite('socket activation')

LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'activate.py')


def held_socket(t):
    """A listening socket this test holds, as systemd holds a .socket unit's."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', 0))
    s.listen(4096)
    t.on_cleanup(s.close)
    return s


def activated(t, pol, sockets, name):
    d = h.Daemon(t, pol, name=name)
    d.launcher = [sys.executable, LAUNCHER, ','.join(str(s.fileno()) for s in sockets), '--']
    d.pass_fds = tuple(s.fileno() for s in sockets)
    t.daemons.append(d)
    return d


def echo(ws, data, what):
    ws.sendall(data)
    h.check_eq(ws.recv_exact(len(data)), data, what)


def queue_upgrades(t, port, n):
    """n clients that connect and send their upgrade request, to wait in the socket."""
    waiting = []
    for _ in range(n):
        c = t.connect(port)
        c.sendall(h.upgrade_request('/ws', 'websocket',
            headers=w.handshake_headers(key=w.new_key())))
        waiting.append(c)
    return waiting


def answered(waiting, who):
    """Each waiting client gets its 101 and an echo."""
    for i, c in enumerate(waiting):
        resp = h.read_response(c)
        h.check_eq(resp.status, 101, 'client %d, %s' % (i, who))
        ws = w.WsConn(c)
        echo(ws, b'waited %d' % i, 'echo for client %d' % i)
        ws.close()


def ws_policy(passed, own, drain_timeout=30):
    return h.policy([h.plain_listener('passed', passed), h.plain_listener('own', own)],
        [w.ws_route('ws', 'builtin:echo', '/ws')], limits={'drain_timeout_s': drain_timeout})


@suite.case('a listener whose bind matches a passed socket uses it; the others are bound')
def _(t):
    s = held_socket(t)
    passed, own = s.getsockname()[1], h.free_port()
    d = activated(t, ws_policy(passed, own), [s], 'd').start()
    h.check_in('listener passed: using socket 127.0.0.1:%d passed by systemd' % passed,
        d.log_text(), 'the daemon log')
    h.check('listener own: using socket' not in d.log_text(), 'the other listener binds')
    for port in (passed, own):
        ws = w.open_ws(t, port, '/ws')
        echo(ws, b'port %d' % port, 'echo on port %d' % port)
        ws.close()
    d.stop()
    # the socket is still systemd's (ours): it accepts with no daemon running
    c = socket.create_connection(('127.0.0.1', passed), timeout=h.scaled(5))
    c.close()


@suite.case('the metrics address on a passed socket: served there, bound by no one else')
def _(t):
    s, m = held_socket(t), held_socket(t)
    passed, mport = s.getsockname()[1], m.getsockname()[1]
    pol = ws_policy(passed, h.free_port())
    pol['metrics'] = '127.0.0.1:%d' % mport
    d = activated(t, pol, [s, m], 'd').start()
    h.check_in('metrics: using socket 127.0.0.1:%d passed by systemd' % mport, d.log_text(),
        'the daemon log')
    ws = w.open_ws(t, passed, '/ws')
    echo(ws, b'counted', 'echo on the passed listener')
    h.check(h.metric(mport, 'connections_accepted_total') >= 1, 'GET /metrics on the socket')
    ws.close()
    d.stop()
    # the socket outlives the daemon, as systemd's does (its exit shut nothing down on it):
    # the next daemon, the only one now, serves metrics on it
    d2 = activated(t, pol, [s, m], 'd2').start()
    h.check(h.metric(mport, 'uptime_seconds') >= 0, 'GET /metrics on the next daemon')
    d2.stop()


@suite.case('LISTEN_FDS counting more sockets than were passed: the daemon\'s own descriptors '
    'are none of them')
def _(t):
    s = held_socket(t)
    passed, mport = s.getsockname()[1], h.free_port()
    pol = ws_policy(passed, h.free_port())
    pol['metrics'] = '127.0.0.1:%d' % mport
    d = activated(t, pol, [s], 'd')
    d.launcher.insert(-1, '40')
    d.start()
    h.check_in('listener passed: using socket 127.0.0.1:%d passed by systemd' % passed,
        d.log_text(), 'the daemon log')
    h.check('epoll' not in d.log_text(), 'no descriptor of the daemon was closed under it')
    for port in d.ports():
        ws = w.open_ws(t, port, '/ws')
        echo(ws, b'port %d' % port, 'echo on port %d' % port)
        ws.close()
    h.check(h.metric(mport, 'uptime_seconds') >= 0, 'GET /metrics')
    h.check_eq(t.control(d).call('status')['draining'], False, 'status on the control socket')
    d.stop()


@suite.case('a passed socket outlives its listener: a policy that drops it and one that brings '
    'it back, or a refused one that would have, leave it to the next listener at its address')
def _(t):
    s, m = held_socket(t), held_socket(t)
    passed, own, mport = s.getsockname()[1], h.free_port(), m.getsockname()[1]
    pol = ws_policy(passed, own)
    pol['metrics'] = '127.0.0.1:%d' % mport
    d = activated(t, pol, [s, m], 'd').start()
    ctl = t.control(d)

    def apply(p):
        return ctl.call('policy.apply', {'policy': p, 'persist': False})['revision']

    # systemd still holds both sockets bound: a daemon that let go of one could bind no other
    without = ws_policy(passed, own)
    without['listeners'] = [l for l in without['listeners'] if l['name'] != 'passed']
    apply(without)
    h.check_in('listener passed: closing 127.0.0.1:%d' % passed, d.log_text(), 'the daemon log')
    # a policy that adopts them again beside a listener that cannot bind is refused as a whole
    taken = held_socket(t)
    refused = dict(pol, listeners=pol['listeners'] +
        [h.plain_listener('taken', taken.getsockname()[1])])
    try:
        apply(refused)
        h.check(False, 'a policy with a listener on a port in use was applied')
    except h.Fail as e:
        h.check_in('listeners[2]: listener taken: bind 127.0.0.1:%d: Address already in use'
            % taken.getsockname()[1], str(e), 'the refusal names the listener that cannot bind')
    apply(pol)
    h.check_eq(d.log_text().count('listener passed: using socket 127.0.0.1:%d passed by systemd'
        % passed), 3, 'the listener adopts the passed socket each time')
    h.check_eq(d.log_text().count('metrics: using socket 127.0.0.1:%d passed by systemd'
        % mport), 2, 'the metrics adopt theirs each time')
    ws = w.open_ws(t, passed, '/ws')
    echo(ws, b'back', 'echo on the passed socket, served again')
    ws.close()
    h.check(h.metric(mport, 'policy_revision') >= 3, 'GET /metrics on the passed socket again')
    d.stop()


@suite.case('a daemon that cannot start takes no connection out of the socket')
def _(t):
    s = held_socket(t)
    passed = s.getsockname()[1]
    pol = ws_policy(passed, h.free_port())
    waiting = queue_upgrades(t, passed, 3)
    # its control socket's folder is writable by others: it stops after the policy is in place
    bad = activated(t, pol, [s], 'bad')
    loose = t.path('loose')
    os.makedirs(loose)
    os.chmod(loose, 0o777)
    bad.control = os.path.join(loose, 'control.sock')
    bad._log = open(bad.log_path, 'ab')
    t.on_cleanup(bad._log.close)
    bad.proc = subprocess.Popen(bad.launcher + bad.argv(), stdin=subprocess.DEVNULL,
        stdout=bad._log, stderr=subprocess.STDOUT, start_new_session=True, pass_fds=bad.pass_fds)
    bad.expect_exit(2, 15)
    h.check_in('writable by others', bad.log_text(), 'the daemon\'s reason')
    h.check_in('policy revision 1 applied', bad.log_text(), 'it got as far as the policy')
    good = activated(t, pol, [s], 'good').start()
    answered(waiting, 'which waited through the daemon that failed')
    good.stop()


@suite.case('a restart refuses nothing: connections wait in the socket for the next daemon')
def _(t):
    s = held_socket(t)
    passed = s.getsockname()[1]
    pol = ws_policy(passed, h.free_port())
    a = activated(t, pol, [s], 'a').start()
    live = w.open_ws(t, passed, '/ws')
    echo(live, b'a', 'echo on the first daemon')
    # A request half sent when SIGTERM comes: the socket lives on, so it is served.
    ctl = t.control(a)
    half = w.HalfHandshake(t, passed, ctl)
    a.signal(signal.SIGTERM)
    h.wait_for(lambda: ctl.call('status')['draining'], 5, 'the first daemon to drain')
    half = half.finish('the request accepted before SIGTERM')

    # While the first daemon drains and until the next one runs, new clients wait.
    waiting = queue_upgrades(t, passed, 5)
    echo(live, b'draining', 'echo on the first daemon while it drains')
    live.close()
    half.close()
    a.expect_exit(0, 10)

    b = activated(t, pol, [s], 'b').start()
    answered(waiting, 'which connected between the daemons')
    h.check_in('using socket 127.0.0.1:%d passed by systemd' % passed, b.log_text(),
        'the second daemon\'s log')
    b.stop()


suite.run()
