#!/usr/bin/python3
"""switchboardd's outside: --check and its exit codes, arguments, the embedded default policy,
exit 1 on a bad policy and 2 when it cannot bind, connections racing the start-up."""

import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('command line and start-up')


def good_policy():
    return h.policy(
        [h.tls_listener('tls', h.free_port(), h.localhost_pair()),
         h.plain_listener('plain', h.free_port())],
        [h.route('echo', '127.0.0.1:7', path='/echo', upgrade='websocket', mode='tunnel')])


def run(argv, timeout=30):
    return subprocess.run([h.daemon_path()] + argv, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=timeout)


@suite.case('--check: a good file exits 0 and binds nothing (its ports are busy meanwhile)')
def _(t):
    p = good_policy()
    d = t.daemon(p, start=False)
    for port in d.ports():
        holder = socket.socket()
        holder.bind(('127.0.0.1', port))
        holder.listen(1)
        t.on_cleanup(holder.close)
    rc, out, err = d.check_policy()
    h.check_eq(rc, 0, '--check exit code (stderr: %s)' % err)
    h.check_in('valid', out, '--check output')


@suite.case('--check: a bad file exits 1 and prints every error as FILE: PATH: message')
def _(t):
    p = good_policy()
    p['routes'][0]['backend'] = '127.0.0.1:0'
    p['routes'].append(h.route('echo', '127.0.0.1:9', path='/x'))
    p['listeners'][1]['bind'] = 'nowhere'
    p['colour'] = 'blue'
    d = t.daemon(p, start=False)
    rc, out, err = d.check_policy()
    h.check_eq(rc, 1, '--check exit code')
    lines = [l for l in err.splitlines() if l.strip()]
    prefix = d.policy_path + ': '
    for l in lines:
        h.check(l.startswith(prefix), 'error line %r starts with the file name' % l)
    for path in ('routes[0].backend', 'listeners[1].bind', 'colour'):
        h.check(any(l.startswith(prefix + path + ': ') for l in lines),
            'an error for %s in %r' % (path, lines))
    h.check(any(re.match(re.escape(prefix) + r'routes\[1\]\S*: .*', l) for l in lines),
        'an error for the duplicate route name in %r' % lines)


@suite.case('--check: a missing file and a syntax error exit 1')
def _(t):
    d = t.daemon({'version': 1}, start=False)
    os.unlink(d.policy_path)
    rc, out, err = d.check_policy()
    h.check_eq(rc, 1, '--check exit code for a missing file')
    h.check_in(d.policy_path, err, 'the error names the file')
    d.write_policy('{"version": 1,')
    rc, out, err = d.check_policy()
    h.check_eq(rc, 1, '--check exit code for a syntax error')
    h.check_in(d.policy_path, err, 'the error names the file')


@suite.case('arguments: --version, --help, unknown option, bad --log-level')
def _(t):
    r = run(['--version'])
    h.check_eq(r.returncode, 0, '--version exit code')
    h.check(re.match(r'switchboardd \d+\.\d+', r.stdout), '--version output %r' % r.stdout)
    r = run(['--help'])
    h.check_eq(r.returncode, 0, '--help exit code')
    h.check_in('--policy', r.stdout, '--help output')
    for argv in (['--no-such-option'], ['--log-level', 'loud'], ['stray-argument']):
        r = run(argv + ['--check', '--state-dir', t.path('state')])
        h.check_eq(r.returncode, 1, 'exit code for %s' % argv)


@suite.case('a bad policy at start exits 1; a port in use exits 2')
def _(t):
    p = good_policy()
    p['routes'][0]['mode'] = 'teleport'
    d = t.daemon(p, start=False, name='bad')
    with open(d.log_path, 'ab') as log:
        r = subprocess.run(d.argv(), stdout=log, stderr=subprocess.STDOUT, timeout=30)
    h.check_eq(r.returncode, 1, 'exit code for an invalid policy')
    h.check_in('routes[0].mode', d.log_text(), 'the log names the bad field')

    holder = socket.socket()
    holder.bind(('127.0.0.1', 0))
    holder.listen(1)
    t.on_cleanup(holder.close)
    busy = holder.getsockname()[1]
    p = good_policy()
    p['listeners'][1]['bind'] = '127.0.0.1:%d' % busy
    d = t.daemon(p, start=False, name='busy')
    with open(d.log_path, 'ab') as log:
        r = subprocess.run(d.argv(), stdout=log, stderr=subprocess.STDOUT, timeout=30)
    h.check_eq(r.returncode, 2, 'exit code when a port is taken')
    h.check_in(str(busy), d.log_text(), 'the log names the port')


@suite.case('the embedded default policy: /echo on 127.0.0.1:8443 (TLS) and 8080')
def _(t):
    # in a network of its own, where nothing else can hold these two ports
    t.private_network()
    h.check(h.port_is_free(8443) and h.port_is_free(8080), 'ports 8443 and 8080 are free in '
        'the private network namespace')
    d = t.daemon(None, start=False)
    d.start(ports=[8443, 8080])
    h.check(os.path.exists(os.path.join(d.state_dir, 'cert.pem')), 'a certificate in the state dir')
    for port, tls in ((8080, None), (8443, h.TlsOpts(verify=False))):
        for token in ('x-custom/1', 'anything'):
            conn = t.tunnel(port, '/echo', token=token, tls=tls)
            conn.sendall(b'default policy')
            h.check_eq(conn.recv_exact(14), b'default policy', 'echo on port %d' % port)
            conn.close()
        # WebSocket upgrades get the daemon's own WebSocket endpoint in front of the echo.
        conn = t.connect(port, tls=tls)
        resp = h.upgrade(conn, '/echo', token='websocket', headers=(
            ('Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='), ('Sec-WebSocket-Version', '13')))
        h.check_eq(resp.status, 101, 'WebSocket upgrade on port %d' % port)
        h.check_eq(resp.header('Sec-WebSocket-Accept'), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
            'Sec-WebSocket-Accept on port %d' % port)
        conn.close()
    cert = open(os.path.join(d.state_dir, 'cert.pem'), 'rb').read()
    d.stop()
    # A second start keeps the certificate made by the first.
    d2 = t.daemon(None, start=False, name='d')
    d2.start(ports=[8443, 8080])
    h.check_eq(open(os.path.join(d.state_dir, 'cert.pem'), 'rb').read(), cert,
        'the certificate after a restart')
    d2.stop()


@suite.case('connections racing the start-up are served or refused, never crash it', timeout=120)
def _(t):
    echo = t.backend(h.EchoBackend)
    for run_no in range(15):
        port = h.free_port()
        # one address, faster than the echo backend closes: past the default per-address limit
        d = t.daemon(h.policy([h.plain_listener('plain', port)],
            [h.route('echo', echo, path='/echo')], limits={'max_per_ip': 100000}), start=False,
            name='d%d' % run_no)
        stop = threading.Event()
        answers = []

        def hammer():
            while not stop.is_set():
                try:
                    conn = h.connect(port, timeout=5)
                except OSError:
                    time.sleep(0.002)
                    continue
                try:
                    answers.append(h.upgrade(conn, '/echo').status)
                except (OSError, h.Fail) as e:
                    answers.append(repr(e))
                finally:
                    conn.close()
        th = threading.Thread(target=hammer, daemon=True)
        th.start()
        try:
            d.start()
            time.sleep(0.3)
        finally:
            stop.set()
            th.join(10)
        h.check(d.alive(), 'run %d: the daemon survived connections during start-up' % run_no)
        h.check(answers and all(a == 101 for a in answers),
            'run %d: every accepted connection was upgraded: %r' % (run_no, answers[:5]))
        d.stop()


suite.run()
