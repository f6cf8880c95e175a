#!/usr/bin/python3
"""The access log: one line per refusal and per closed tunnel, in text (fields in a fixed
order, escaped) or JSON; to stderr or to the policy's "access_log" file, reopened on SIGUSR1
with no line lost; a log that cannot keep up or a full disk costs lines, counted in
switchboard_access_log_dropped_total, never tunnels."""

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.request

import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('access log')

# TIME CLIENT IDENTITY LISTENER ROUTE "METHOD PATH" STATUS BACKEND UP DOWN DURATION_MS "REASON"
TEXT_LINE = re.compile(
    r'^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?P<client>\S+) (?P<identity>\S+) '
    r'(?P<listener>\S+) (?P<route>\S+) "(?P<request>[^"]*)" (?P<status>\d{3}) '
    r'(?P<backend>\S+) (?P<up>\d+) (?P<down>\d+) (?P<duration>\d+) "(?P<reason>[^"]*)"$')


def setup(t, access_log='access.log', args=(), port=None, **extra):
    """A daemon with a tunnel route /echo, a policy metrics address, and its access log."""
    echo = t.backend(h.EchoBackend)
    port = port or h.free_port()
    mport = h.free_port()
    if access_log is not None:
        extra['access_log'] = access_log
    d = t.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('echo', echo, path='/echo')], metrics='127.0.0.1:%d' % mport, **extra),
        args=args)
    return d, port, mport, echo


def log_file(d, name='access.log'):
    return os.path.join(d.dir, name)


def read_lines(path):
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except FileNotFoundError:
        return []
    h.check(not data or data.endswith(b'\n'), '%s ends with a whole line' % path)
    return data.decode('utf-8').splitlines()


def wait_lines(path, n, timeout=5):
    h.wait_for(lambda: len(read_lines(path)) >= n, timeout,
        '%d lines in %s (have %d)' % (n, path, len(read_lines(path))))
    return read_lines(path)


def refuse(port, path='/nowhere'):
    conn = h.connect(port)
    try:
        resp = h.upgrade(conn, path)
    finally:
        conn.close()
    return resp.status


def echo_tunnel(t, port, payload=b'hello'):
    conn = t.tunnel(port, '/echo')
    conn.sendall(payload)
    h.check_eq(conn.recv_exact(len(payload)), payload, 'the echo through the tunnel')
    conn.close()


def metric(mport, name):
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % mport, timeout=5) as r:
        text = r.read().decode()
    m = re.search(r'^switchboard_%s (\d+)$' % name, text, re.M)
    h.check(m is not None, 'switchboard_%s in /metrics' % name)
    return int(m.group(1))


@suite.case('text: a refusal and a closed tunnel, every field in its place')
def _(t):
    d, port, mport, echo = setup(t)
    h.check_eq(refuse(port, '/nowhere?token=secret'), 404, 'status of the refusal')
    echo_tunnel(t, port, b'x' * 10)
    lines = wait_lines(log_file(d), 2)
    h.check_eq(len(lines), 2, 'access lines')
    m = [TEXT_LINE.match(l) for l in lines]
    h.check(all(m), 'lines in the documented order: %r' % lines)
    no, ok = m[0].groupdict(), m[1].groupdict()
    h.check(re.match(r'127\.0\.0\.1:\d+$', no['client']), 'client of the refusal: %r' % no)
    h.check_eq((no['identity'], no['listener'], no['route'], no['request'], no['status'],
        no['backend'], no['up'], no['down']),
        ('-', 'plain', '-', 'GET /nowhere', '404', '-', '0', '0'), 'the refusal line')
    h.check('secret' not in lines[0], 'the query (a token, maybe) is not logged')
    h.check_in('no route', no['reason'], 'the refusal reason')
    h.check_eq((ok['identity'], ok['listener'], ok['route'], ok['request'], ok['status'],
        ok['backend'], ok['up'], ok['down']),
        ('-', 'plain', 'echo', 'GET /echo', '101', '127.0.0.1:%d' % echo.port, '10', '10'),
        'the tunnel line')
    h.check(ok['reason'] != '-', 'the close reason: %r' % ok['reason'])
    h.check_eq(metric(mport, 'access_log_dropped_total'), 0, 'lines dropped')
    h.check('GET /nowhere' not in d.log_text(), 'no access line in the daemon log')


@suite.case('JSON with --log-format json: one object a line, the same fields')
def _(t):
    d, port, mport, echo = setup(t, args=('--log-format', 'json'))
    refuse(port)
    echo_tunnel(t, port, b'abc')
    lines = wait_lines(log_file(d), 2)
    objs = [json.loads(l) for l in lines]
    keys = {'time', 'client', 'identity', 'listener', 'route', 'method', 'path', 'status',
            'backend', 'bytes_up', 'bytes_down', 'duration_ms', 'reason'}
    for o in objs:
        h.check(keys <= set(o), 'fields of %r' % o)
        h.check_eq(o['message'], 'access', 'the message of an access line')
        h.check(isinstance(o['duration_ms'], int) and o['duration_ms'] >= 0, 'duration_ms')
    no, ok = objs
    h.check_eq((no['status'], no['route'], no['method'], no['path'], no['identity'],
        no['backend']), (404, None, 'GET', '/nowhere', None, None), 'the refusal object')
    h.check_eq((ok['status'], ok['route'], ok['method'], ok['path'], ok['bytes_up'],
        ok['bytes_down'], ok['backend']),
        (101, 'echo', 'GET', '/echo', 3, 3, '127.0.0.1:%d' % echo.port), 'the tunnel object')


@suite.case('stderr without "access_log"; control characters in the path escaped')
def _(t):
    d, port, mport, echo = setup(t, access_log=None)
    # a line feed and a forged line, ESC, a quote, and bytes that are not UTF-8
    h.check_eq(refuse(port, '/x%0aforged%20line%1b[2J"q%ff'), 404, 'status')
    h.check_eq(refuse(port, '/a\x01b\x7fc'), 404, 'status with raw control bytes')
    d.wait_log(r'"GET /a', timeout=5)
    h.wait_for(lambda: len([l for l in d.log_text().splitlines() if TEXT_LINE.match(l)]) == 2,
        5, 'two access lines in the daemon log')
    lines = [l for l in d.log_text().splitlines() if TEXT_LINE.match(l)]
    raw = open(d.log_path, 'rb').read()
    for bad in (b'\x1b', b'\x01', b'\x7f', b'\xff'):
        h.check(bad not in raw, '%r in the log' % bad)
    # the path as sent (percent-encoded stays so); the quote escaped, the reason decoded and escaped
    h.check_eq(TEXT_LINE.match(lines[0]).group('request'),
        'GET /x%0aforged%20line%1b[2J\\x22q%ff', 'the path as sent, its quote escaped')
    h.check_in('path /x\\x0aforged line\\x1b[2J\\x22q\\xff',
        TEXT_LINE.match(lines[0]).group('reason'), 'the decoded path in the reason, escaped')
    h.check_eq(TEXT_LINE.match(lines[1]).group('request'), 'GET /a\\x01b\\x7fc',
        'the escaped path (raw bytes)')
    h.check(not any(l.startswith('forged') for l in d.log_text().splitlines()),
        'no forged line')


@suite.case('SIGUSR1 after mv: new lines in a new file, none lost under a steady stream')
def _(t):
    d, port, mport, echo = setup(t)
    path = log_file(d)
    done = threading.Event()
    sent = [0]
    errors = []

    def stream():
        while not done.is_set():
            try:
                if refuse(port) == 404:
                    sent[0] += 1
                else:
                    errors.append('not a 404')
            except Exception as e:  # noqa: BLE001 - counted, reported below
                errors.append(repr(e))

    th = threading.Thread(target=stream, daemon=True)
    th.start()
    h.wait_for(lambda: sent[0] >= 50, 10, '50 refusals before the rotation')
    os.rename(path, path + '.1')
    d.signal(signal.SIGUSR1)
    h.wait_for(lambda: os.path.exists(path), 5, 'the daemon makes access.log again')
    h.wait_for(lambda: len(read_lines(path)) >= 50, 10, '50 lines in the new file')
    done.set()
    th.join(10)
    h.check(not errors, 'refusals failed: %r' % errors[:3])
    total = sent[0]
    h.wait_for(lambda: len(read_lines(path)) + len(read_lines(path + '.1')) >= total, 5,
        'every line written')
    old, new = read_lines(path + '.1'), read_lines(path)
    h.check_eq(len(old) + len(new), total, 'lines in both files (%d + %d)' % (len(old), len(new)))
    h.check(all(TEXT_LINE.match(l) for l in old + new), 'whole lines only')
    stamps = [TEXT_LINE.match(l).group('time') for l in old + new]
    h.check(max(stamps[:len(old)]) <= min(stamps[len(old):]), 'the new file starts after the old')
    h.check_eq(metric(mport, 'access_log_dropped_total'), 0, 'lines dropped')
    h.check_in('access log: reopening', d.log_text(), 'the daemon says it reopened')


@suite.case('a reload moves the log; a file that cannot be opened refuses the policy')
def _(t):
    d, port, mport, echo = setup(t)
    refuse(port)
    wait_lines(log_file(d), 1)
    p = dict(d.policy, access_log='other.log')
    d.write_policy(p)
    d.signal(signal.SIGHUP)
    d.wait_log(r'policy revision 2 applied')
    refuse(port)
    wait_lines(log_file(d, 'other.log'), 1)
    h.check_eq(len(read_lines(log_file(d))), 1, 'the first file keeps its one line')
    d.write_policy(dict(p, access_log='no/such/dir/x.log'))
    d.signal(signal.SIGHUP)
    d.wait_log(r'access_log: cannot open .*no/such/dir/x\.log')
    refuse(port)
    wait_lines(log_file(d, 'other.log'), 2)


def drops_cost_no_tunnel(t, d, port, mport, count, path_len):
    """Refusals with long paths until lines are dropped; tunnels still flow meanwhile."""
    long_path = '/' + 'p' * path_len
    for i in range(count):
        h.check_eq(refuse(port, long_path), 404, 'refusal %d' % i)
        if i % 100 == 0:
            echo_tunnel(t, port)
    h.wait_for(lambda: metric(mport, 'access_log_dropped_total') > 0, 10, 'dropped lines counted')
    echo_tunnel(t, port, b'y' * 100000)


@suite.case('a reader that never reads: the queue fills, lines are dropped, tunnels flow')
def _(t):
    fifo = t.path('fifo.log')
    os.mkfifo(fifo)
    reader = [os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)]

    def close_reader():
        if reader:
            os.close(reader.pop())
    t.on_cleanup(close_reader)
    d, port, mport, echo = setup(t, access_log=fifo)
    start = time.monotonic()
    drops_cost_no_tunnel(t, d, port, mport, 800, 2000)
    h.check(time.monotonic() - start < h.scaled(30), 'refusals were not slowed down')
    close_reader()  # the writer's write fails (EPIPE): it stops waiting


@suite.case('a full disk (a tiny tmpfs) costs lines, counted, not tunnels')
def _(t):
    if os.geteuid() != 0 or shutil.which('unshare') is None:
        raise h.Skip('needs root and unshare(1) for a private tmpfs')
    mnt = t.path('disk')
    os.makedirs(mnt)
    probe = subprocess.run(['unshare', '-m', '--propagation', 'private', 'mount', '-t', 'tmpfs',
        '-o', 'size=64k', 'tmpfs', mnt], capture_output=True)
    if probe.returncode != 0:
        raise h.Skip('cannot mount a tmpfs here: %s' % probe.stderr.decode().strip())
    echo = t.backend(h.EchoBackend)
    port, mport = h.free_port(), h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('echo', echo, path='/echo')], metrics='127.0.0.1:%d' % mport,
        access_log=os.path.join(mnt, 'access.log')), start=False)
    argv = d.argv
    d.argv = lambda check=False: ['unshare', '-m', '--propagation', 'private', 'sh', '-c',
        'mount -t tmpfs -o size=64k tmpfs "$0" && exec "$@"', mnt] + argv(check)
    d.start()
    count = 300
    drops_cost_no_tunnel(t, d, port, mport, count, 1000)
    # what reached the disk, read through the daemon's own mount namespace
    inside = '/proc/%d/root%s/access.log' % (d.proc.pid, mnt)
    expected = count + (count + 99) // 100 + 1  # the refusals, then the tunnels' closes

    def accounted():
        return len(read_lines(inside)) + metric(mport, 'access_log_dropped_total')
    h.wait_for(lambda: accounted() >= expected, 5, 'every line written or dropped')
    lines = read_lines(inside)
    dropped = metric(mport, 'access_log_dropped_total')
    h.check(lines and all(TEXT_LINE.match(l) for l in lines), 'whole lines on the full disk')
    h.check_eq(len(lines) + dropped, expected,
        'lines written (%d) and dropped (%d): every one accounted for' % (len(lines), dropped))
    h.check_in('access log: ', d.log_text(), 'the daemon warns about lost lines')


suite.run()
