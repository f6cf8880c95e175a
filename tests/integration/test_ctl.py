#!/usr/bin/python3
"""switchboardctl against a running switchboardd: every command's table and --json output and
exit status, watch's event lines, and probe against the daemon (the 101 and each refusal) and
against websockify, a WebSocket server that is not ours."""

import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('switchboardctl')

from ctlutil import OK, REFUSED, UNREACHABLE, ctl, start_ctl  # noqa: E402


def setup(ctx, max_connections=None):
    """A daemon with a plain and a TLS listener and routes for every outcome probe shows."""
    echo = ctx.backend(h.EchoBackend)
    plain, tls = h.free_port(), h.free_port()
    limited = {'max_connections': max_connections} if max_connections else {}
    p = h.policy(
        [h.plain_listener('plain', plain), h.tls_listener('tls', tls, h.localhost_pair())],
        [h.route('ws', echo, path='/ws', upgrade='websocket', mode='websocket'),
         h.route('echo', echo, path='/echo', **limited),
         h.route('private', echo, path='/private', allow=['10.0.0.0/8']),
         h.route('down', h.free_port(), path='/down')])
    d = ctx.daemon(p)
    d.plain, d.tls = plain, tls
    return d


def check_width(text, width, what):
    for line in text.splitlines():
        h.check(len(line) <= width, '%s: a line over %d columns: %r' % (what, width, line))


# ---------------------------------------------------------------------------


@suite.case('--help lists every command; bad usage exits 1')
def help_text(ctx):
    r = ctl('/nonexistent.sock', '--help').expect(OK)
    for cmd in ('status', 'connections', 'kill ID', 'policy get', 'policy check FILE',
            'policy apply FILE', '--revision N', '--no-persist', 'watch', 'probe URL',
            '--upgrade TOKEN', '--header', '--insecure', '--send TEXT', '--timeout',
            'relative paths', 'connections [--by identity]', 'token NAME', 'drain'):
        h.check_in(cmd, r.out, '--help')
    ctl('/nonexistent.sock', 'probe', '--help').expect(OK)
    ctl('/nonexistent.sock').expect(REFUSED)
    ctl('/nonexistent.sock', 'frobnicate').expect(REFUSED)
    ctl('/nonexistent.sock', 'status', '--bogus').expect(REFUSED)
    ctl('/nonexistent.sock', 'kill', 'abc').expect(REFUSED)
    ctl('/nonexistent.sock', 'policy', 'nope').expect(REFUSED)
    ctl('/nonexistent.sock', 'connections', '--by', 'route').expect(REFUSED)
    ctl('/nonexistent.sock', 'token').expect(REFUSED)
    ctl('/nonexistent.sock', 'drain', 'now').expect(REFUSED)
    ctl('/nonexistent.sock', 'token', 'a', 'b').expect(REFUSED)
    ctl('/nonexistent.sock', 'token', 'two words').expect(REFUSED)


@suite.case('no daemon at the socket: exit 2 for every daemon command')
def unreachable(ctx):
    sock = ctx.path('none.sock')
    for args in (['status'], ['connections'], ['kill', '3'], ['policy', 'get'], ['watch'],
            ['drain']):
        r = ctl(sock, *args).expect(UNREACHABLE)
        h.check_in('cannot reach the daemon at %s' % sock, r.err, ' '.join(args))


@suite.case('status: summary and --json')
def status(ctx):
    d = setup(ctx)
    r = ctl(d, 'status').expect(OK)
    h.check(re.match(r'switchboardd \S+, up \d+s\n', r.out), 'status first line: %r' % r.out)
    h.check_in('policy: revision 1, %s' % d.policy_path, r.out, 'status')
    h.check(re.search(r'^plain +127\.0\.0\.1:%d +no$' % d.plain, r.out, re.M),
        'plain listener row: %r' % r.out)
    h.check(re.search(r'^tls +127\.0\.0\.1:%d +yes$' % d.tls, r.out, re.M),
        'tls listener row: %r' % r.out)
    h.check(re.search(r'^connections: +accepted \d+ +upgraded \d+ +rejected \d+ +active 0$',
        r.out, re.M), 'counters line: %r' % r.out)
    j = ctl(d, '--json', 'status').expect(OK).json()
    h.check_eq(sorted(l['name'] for l in j['listeners']), ['plain', 'tls'], 'listeners')
    for key in ('accepted', 'upgraded', 'rejected', 'active', 'bytes_up', 'bytes_down'):
        h.check(isinstance(j['counters'].get(key), int), 'counters.%s: %r' % (key, j))
    # --json after the command works as well
    h.check_eq(ctl(d, 'status', '--json').expect(OK).json()['version'], j['version'],
        'version')


@suite.case('connections: table sized to 100 columns, --json, kill')
def connections(ctx):
    d = setup(ctx)
    r = ctl(d, 'connections').expect(OK)
    h.check_eq(r.out, 'no live connections\n', 'empty table')
    h.check_eq(ctl(d, '--json', 'connections').expect(OK).json(), [], 'empty list')

    conns = [ctx.tunnel(d.plain, '/echo') for _ in range(2)]
    for c in conns:
        c.sendall(b'x' * 3000)
        c.recv_exact(3000)
    local = ['%s:%d' % c.sock.getsockname() for c in conns]
    def counted():
        got = [c for c in ctl(d, '--json', 'connections').expect(OK).json()
            if c.get('bytes_up') == 3000 and c.get('bytes_down') == 3000]
        return got if len(got) == 2 else None
    items = h.wait_for(counted, 10, 'byte counters of both tunnels')
    h.check_eq(sorted(c['client'] for c in items), sorted(local), 'clients')

    r = ctl(d, 'connections').expect(OK)
    lines = r.out.splitlines()
    h.check(re.match(r'ID +ROUTE +IDENTITY +MODE +CLIENT +BACKEND +AGE +UP +DOWN$', lines[0]),
        'header: %r' % lines[0])
    check_width(r.out, 100, 'connections')
    for c in items:
        row = [l for l in lines[1:] if l.split()[0] == str(c['id'])]
        h.check_eq(len(row), 1, 'rows of connection %d' % c['id'])
        h.check(re.match(r' *%d +echo +- +tunnel +%s +127\.0\.0\.1:\d+ +\d+s +2\.9KiB +2\.9KiB$' %
            (c['id'], re.escape(c['client'])), row[0]), 'row: %r' % row[0])

    victim = [c for c in items if c['client'] == local[0]][0]
    r = ctl(d, 'kill', str(victim['id'])).expect(OK)
    h.check_eq(r.out, 'closed connection %d\n' % victim['id'], 'kill output')
    conns[0].wait_eof(10)
    left = ctl(d, '--json', 'connections').expect(OK).json()
    h.check_eq([c['id'] for c in left], [c['id'] for c in items if c is not victim],
        'connections after kill')

    r = ctl(d, 'kill', str(victim['id'])).expect(REFUSED)
    h.check_in('no such connection', r.err, 'kill of a closed connection')
    j = ctl(d, '--json', 'kill', '999999').expect(REFUSED).json()
    h.check_eq(j['code'], -32002, 'error code')
    other = [c for c in items if c is not victim][0]
    h.check_eq(ctl(d, '--json', 'kill', str(other['id'])).expect(OK).json(), {},
        'kill --json result')
    conns[1].wait_eof(10)


@suite.case('drain: no new connections, the open tunnel flows, exit 0 when it ends')
def drain(ctx):
    d = setup(ctx)
    conn = ctx.tunnel(d.plain, '/echo')
    r = ctl(d, 'drain').expect(OK)
    h.check_eq(r.out, 'draining: no new connections; the daemon exits when its tunnels end '
        'or its drain timeout passes\n', 'drain output')
    h.wait_for(lambda: h.refuses(d.plain), 5, 'the plain listener to refuse connections')
    h.check(ctl(d, '--json', 'status').expect(OK).json()['draining'], 'status while draining')
    h.check_in('daemon.drain from uid', d.log_text(), 'the daemon log')
    conn.sendall(b'still here')
    h.check_eq(conn.recv_exact(10), b'still here', 'echo on the tunnel while draining')
    h.check(d.alive(), 'the daemon waits for its tunnel')
    conn.close()
    d.expect_exit(0, 10)


@suite.case('policy get, check and apply')
def policy(ctx):
    d = setup(ctx)
    text = ctl(d, 'policy', 'get').expect(OK).out
    got = json.loads(text)
    full = ctl(d, '--json', 'policy', 'get').expect(OK).json()
    h.check_eq(full['policy'], got, 'policy get vs --json')
    h.check_eq(full['revision'], 1, 'revision')
    h.check_eq([r['name'] for r in got['routes']], ['ws', 'echo', 'private', 'down'], 'routes')

    # check: valid; invalid, line for line like switchboardd --check; not JSON at all
    good = ctx.path('good.json')
    with open(good, 'w') as f:
        f.write(text)
    r = ctl(d, 'policy', 'check', good).expect(OK)
    h.check_eq(r.out, '%s: valid\n' % good, 'check output')
    h.check_eq(ctl(d, '--json', 'policy', 'check', good).expect(OK).json(),
        {'valid': True, 'would_close': [], 'would_keep': []}, 'check --json')
    bad = ctx.path('bad.json')
    broken = dict(got, routes=[dict(got['routes'][0], backend='127.0.0.1:99999'),
        dict(got['routes'][1], mode='teleport')] + got['routes'][2:])
    with open(bad, 'w') as f:
        json.dump(broken, f)
    r = ctl(d, 'policy', 'check', bad).expect(REFUSED)
    check = subprocess.run([h.daemon_path(), '--check', '--policy', bad, '--state-dir',
        ctx.path('state')], capture_output=True, text=True, timeout=30)
    h.check_eq(check.returncode, 1, 'switchboardd --check exit')
    h.check(r.err.count('\n') >= 2, 'two errors at least: %r' % r.err)
    h.check_eq(r.err, check.stderr, 'the same lines as switchboardd --check')
    h.check_in('%s: routes[0].backend: ' % bad, r.err, 'error line')
    j = ctl(d, '--json', 'policy', 'check', bad).expect(REFUSED).json()
    h.check_eq(j['code'], -32000, 'error code')
    h.check_eq({e['path'] for e in j['data']['errors']} >= {'routes[0].backend',
        'routes[1].mode'}, True, 'error paths')
    notjson = ctx.path('notjson.json')
    with open(notjson, 'w') as f:
        f.write('{"version": 1,\n')
    r = ctl(d, 'policy', 'check', notjson).expect(REFUSED)
    h.check(r.err.startswith('%s: invalid JSON at line ' % notjson), 'not JSON: %r' % r.err)
    ctl(d, 'policy', 'check', ctx.path('missing.json')).expect(REFUSED)
    h.check_eq(ctl(d, 'policy', 'check', '-', input=text).expect(OK).out, '-: valid\n',
        'check from stdin')

    # apply: a new route, saved to the policy file
    newer = dict(got, routes=got['routes'] + [dict(got['routes'][1], name='extra',
        match={'path': '/extra', 'upgrade': '*'})])
    path = ctx.path('newer.json')
    with open(path, 'w') as f:
        json.dump(newer, f)
    r = ctl(d, 'policy', 'apply', path).expect(OK)
    h.check_eq(r.out, 'applied: revision 2\n', 'apply output')
    with open(d.policy_path) as f:
        h.check_in('"extra"', f.read(), 'the policy file after apply')
    h.check_eq([x['name'] for x in ctl(d, '--json', 'policy', 'get').expect(OK).json()
        ['policy']['routes']][-1], 'extra', 'running routes')
    h.check_eq(h.upgrade(ctx.connect(d.plain), '/extra').status, 101, 'the new route works')

    # --no-persist: runs, the file stays; a stale --revision is refused
    r = ctl(d, 'policy', 'apply', good, '--no-persist').expect(OK)
    # the tunnel on /extra outlives its route (on_policy_change keep), and is named
    h.check(re.match(r'Keeps 1 connection the new policy no longer admits \(on_policy_change '
        r'keep\): \d+ \(route extra, 127\.0\.0\.1:\d+\)\n'
        r'applied: revision 3 \(running only: the policy file was not written\)\n$', r.out),
        'apply --no-persist output: %r' % r.out)
    with open(d.policy_path) as f:
        h.check_in('"extra"', f.read(), 'the policy file after --no-persist')
    r = ctl(d, 'policy', 'apply', path, '--revision', '2').expect(REFUSED)
    h.check_in('stale', r.err, 'stale revision message')
    h.check_in('--revision 3', r.err, 'stale revision hint')
    j = ctl(d, '--json', 'policy', 'apply', path, '--revision', '1').expect(REFUSED).json()
    h.check_eq((j['code'], j['data']['revision']), (-32001, 3), 'stale --json')
    r = ctl(d, 'policy', 'apply', path, '--revision', '3').expect(OK)
    h.check_eq(r.out, 'applied: revision 4\n', 'apply --revision')

    # an invalid policy changes nothing
    r = ctl(d, 'policy', 'apply', bad).expect(REFUSED)
    h.check_eq(r.err, check.stderr, 'apply errors')
    h.check_eq(ctl(d, '--json', 'status').expect(OK).json()['revision'], 4, 'revision')


def start_watch(ctx, d, d_port, *args):
    """switchboardctl watch, returned once it shows events: refused upgrades make them."""
    lines = start_ctl(ctx, d, *(list(args) + ['watch']))
    proc = lines.proc
    # the subscription starts a moment after the process: knock until it shows
    for attempt in range(50):
        h.upgrade(ctx.connect(d_port), '/knock-%d' % attempt)
        try:
            lines.until(lambda l: 'knock-' in l, 0.2, 'knock')
            return proc, lines
        except h.Fail:
            continue
    raise h.Fail('watch showed no event after 50 refused upgrades')


@suite.case('watch: opened, updated, closed and rejected lines; exit 0 when the daemon goes')
def watch(ctx):
    d = setup(ctx)
    proc, lines = start_watch(ctx, d, d.plain)
    c = ctx.tunnel(d.plain, '/echo')
    port = c.sock.getsockname()[1]
    client = '127.0.0.1:%d' % port
    opened = lines.until(lambda l: ' connection.opened ' in l, 5, 'connection.opened')
    h.check(re.match(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z connection\.opened +id=(\d+) '
        r'route=echo client=%s mode=tunnel backend=127\.0\.0\.1:\d+$' % re.escape(client),
        opened), 'opened line: %r' % opened)
    cid = re.search(r'id=(\d+)', opened).group(1)
    c.sendall(b'hello')
    c.recv_exact(5)
    # counters may be reported in steps: wait for the one with both directions
    updated = lines.until(lambda l: ' connection.updated ' in l and ' down=5B' in l, 5,
        'connection.updated with both counters')
    h.check(re.search(r' id=%s route=echo client=%s up=5B down=5B$' % (cid, re.escape(client)),
        updated), 'updated line: %r' % updated)
    c.close()
    closed = lines.until(lambda l: ' connection.closed ' in l, 5, 'connection.closed')
    h.check(re.search(r' id=%s route=echo client=%s up=5B down=5B reason=' % (cid,
        re.escape(client)), closed), 'closed line: %r' % closed)
    h.upgrade(ctx.connect(d.plain), '/private')
    rejected = lines.until(lambda l: 'route=private' in l, 5, 'upgrade.rejected')
    h.check(re.search(r' upgrade\.rejected +route=private client=127\.0\.0\.1:\d+ '
        r'listener=plain status=403 reason="', rejected), 'rejected line: %r' % rejected)
    d.stop()
    h.check_eq(proc.wait(10), 0, 'watch exit status once the daemon is gone')


@suite.case('watch --json: the raw event objects, one a line')
def watch_json(ctx):
    d = setup(ctx)
    proc, lines = start_watch(ctx, d, d.plain, '--json')
    c = ctx.tunnel(d.plain, '/echo')
    ev = json.loads(lines.until(lambda l: '"connection.opened"' in l, 5, 'opened'))
    h.check_eq((ev['route'], ev['mode'], ev['client']), ('echo', 'tunnel',
        '127.0.0.1:%d' % c.sock.getsockname()[1]), 'opened event')
    c.close()
    ev = json.loads(lines.until(lambda l: '"connection.closed"' in l, 5, 'closed'))
    h.check(isinstance(ev.get('reason'), str) and ev['time'].endswith('Z'), 'closed: %r' % ev)
    ctl(d, 'policy', 'apply', d.policy_path).expect(OK)
    ev = json.loads(lines.until(lambda l: '"policy.applied"' in l, 5, 'policy.applied'))
    h.check_eq(ev['revision'], 2, 'applied revision')
    d.stop()
    h.check_eq(proc.wait(10), 0, 'watch exit status')


# ---------------------------------------------------------------------------
# probe


@suite.case('probe: WebSocket 101 with --send, plain and TLS')
def probe_ws(ctx):
    d = setup(ctx)
    r = ctl(d, 'probe', 'ws://127.0.0.1:%d/ws' % d.plain, '--send', 'hello').expect(OK)
    for want in (r'^resolve +127\.0\.0\.1: 127\.0\.0\.1:%d \(' % d.plain,
            r'^connect +127\.0\.0\.1:%d \([\d.]+ ms\)$' % d.plain,
            r'^request +GET /ws HTTP/1\.1$', r'^ +> Sec-WebSocket-Version: 13$',
            r'^response +HTTP/1\.1 101 Switching Protocols \([\d.]+ ms\)$',
            r'^ +< Upgrade: websocket$', r'^ +Sec-WebSocket-Accept matches the key$',
            r'^send +text frame, 5 bytes$', r'^receive +binary frame, 5 bytes \(',
            r'^ +\| hello$', r'^result +upgraded \(websocket\)$'):
        h.check(re.search(want, r.out, re.M), 'probe output lacks /%s/:\n%s' % (want, r.out))

    # TLS: the test CA is not in the system's trust store
    url = 'wss://localhost:%d/ws' % d.tls
    r = ctl(d, 'probe', url).expect(UNREACHABLE)
    h.check(re.search(r'^ +verify +FAILED: ', r.out, re.M), 'verify line: %r' % r.out)
    r = ctl(d, 'probe', url, '--insecure', '--send', 'over tls').expect(OK)
    for want in (r'^tls +TLS1\.[23], \(TLS1\.[23]\)-.*, ALPN http/1\.1 \(',
            r'^ +sni +localhost$', r'^ +subject +CN=localhost$',
            r'^ +issuer +CN=Switchboard Test CA$', r'^ +names +DNS:localhost, IP:127\.0\.0\.1$',
            r'^ +expires +\d{4}-', r'^ +verify +FAILED: .*\(going on: --insecure\)$',
            r'^ +\| over tls$'):
        h.check(re.search(want, r.out, re.M), 'probe output lacks /%s/:\n%s' % (want, r.out))

    j = ctl(d, '--json', 'probe', url, '--insecure', '--send', 'hi').expect(OK).json()
    h.check_eq([s['step'] for s in j['steps']], ['resolve', 'connect', 'tls', 'request',
        'response', 'send', 'receive'], 'steps')
    steps = {s['step']: s for s in j['steps']}
    h.check_eq((j['upgraded'], j['exit']), (True, 0), 'report')
    h.check_eq(steps['tls']['certificate']['names'], ['DNS:localhost', 'IP:127.0.0.1'], 'SANs')
    h.check_eq(steps['tls']['verified'], False, 'verified')
    h.check_eq((steps['response']['status'], steps['response']['accept_ok']), (101, True),
        'response')
    h.check_eq([(f['opcode'], f['payload']) for f in steps['receive']['frames']],
        [('binary', 'hi')], 'frames')
    for s in j['steps']:
        h.check(isinstance(s.get('ms', 0.0), (int, float)), 'ms of %r' % s)


@suite.case('probe: a custom token in tunnel mode, raw bytes back')
def probe_token(ctx):
    d = setup(ctx)
    r = ctl(d, 'probe', 'http://127.0.0.1:%d/echo' % d.plain, '--upgrade', 'sb-test/1',
        '--header', 'X-Probe: yes', '--send', 'raw bytes', '--timeout', '3').expect(OK)
    for want in (r'^ +> Upgrade: sb-test/1$', r'^ +> X-Probe: yes$',
            r'^response +HTTP/1\.1 101 ', r'^send +9 bytes$', r'^receive +9 bytes \(',
            r'^ +\| raw bytes$', r'^result +upgraded \(sb-test/1\)$'):
        h.check(re.search(want, r.out, re.M), 'probe output lacks /%s/:\n%s' % (want, r.out))
    h.check('Sec-WebSocket-Key' not in r.out, 'no WebSocket headers for another token')


@suite.case('probe: each refusal is shown with its headers and body; exit 1')
def probe_refusals(ctx):
    d = setup(ctx, max_connections=1)
    hold = ctx.tunnel(d.plain, '/echo')
    base = 'ws://127.0.0.1:%d' % d.plain
    cases = [
        ([base + '/nope'], 404, None),
        ([base + '/private'], 403, None),
        ([base + '/down'], 502, None),
        ([base + '/ws', '--header', 'Sec-WebSocket-Version: 8'], 426,
            'Sec-WebSocket-Version: 13'),
        ([base + '/ws', '--header', 'Sec-WebSocket-Key: short'], 400, None),
        ([base + '/ws', '--header', 'Connection: close'], 426, 'Upgrade: websocket'),
        (['http://127.0.0.1:%d/echo' % d.plain, '--upgrade', 'sb-test'], 503, None),
    ]
    for args, status, header in cases:
        r = ctl(d, 'probe', *args).expect(REFUSED)
        h.check(re.search(r'^response +HTTP/1\.1 %d ' % status, r.out, re.M),
            '%s: status line: %r' % (args, r.out))
        h.check(re.search(r'^ +body \(\d+ bytes\):\n +\| %d ' % status, r.out, re.M),
            '%s: body: %r' % (args, r.out))
        h.check(re.search(r'^error +not upgraded: HTTP/1\.1 %d ' % status, r.out, re.M),
            '%s: error line: %r' % (args, r.out))
        if header:
            h.check_in('< ' + header, r.out, '%s: refusal header' % args)
    hold.close()
    j = ctl(d, '--json', 'probe', base + '/nope').expect(REFUSED).json()
    resp = [s for s in j['steps'] if s['step'] == 'response'][0]
    h.check_eq((resp['status'], j['upgraded'], j['exit']), (404, False, 1), 'report')
    h.check(resp['body'].startswith('404 '), 'body: %r' % resp['body'])

    # nobody listening: cannot connect
    port = h.free_port()
    r = ctl(d, 'probe', 'ws://127.0.0.1:%d/' % port).expect(UNREACHABLE)
    h.check_in('Connection refused', r.out, 'refused connect')
    ctl(d, 'probe', 'ftp://127.0.0.1/').expect(REFUSED)


@suite.case('probe: websockify, a WebSocket server that is not ours')
def probe_websockify(ctx):
    if shutil.which('websockify') is None:
        raise h.Skip('websockify is not installed (Debian package websockify)')
    echo = ctx.backend(h.EchoBackend)
    port = h.free_port()
    ctx.process(['websockify', '127.0.0.1:%d' % port, '127.0.0.1:%d' % echo.port],
        'websockify', port=port, timeout=20)
    url = 'ws://127.0.0.1:%d/' % port
    r = ctl('/nonexistent.sock', 'probe', url).expect(OK)
    h.check(re.search(r'^response +HTTP/1\.1 101 ', r.out, re.M), '101: %r' % r.out)
    h.check_in('Sec-WebSocket-Accept matches the key', r.out, 'accept')
    # websockify relays binary messages only: a text message is closed with 1003
    j = ctl('/nonexistent.sock', '--json', 'probe', url, '--send', 'hello').expect(OK).json()
    frames = [s for s in j['steps'] if s['step'] == 'receive'][0]['frames']
    h.check_eq([f['opcode'] for f in frames], ['close'], 'frames from websockify')
    h.check(frames[0]['payload'].startswith('\\x03\\xeb'), 'close code 1003: %r' % frames)
    # something websockify does not upgrade to
    r = ctl('/nonexistent.sock', 'probe', url, '--upgrade', 'h2c').expect(REFUSED)
    h.check(re.search(r'^response +HTTP/1\.[01] [45]\d\d ', r.out, re.M),
        'websockify refusal: %r' % r.out)
    h.check(re.search(r'^ +< Server: WebSockify', r.out, re.M), 'server header: %r' % r.out)
    h.check(re.search(r'^ +\| .*405', r.out, re.M), 'refusal body: %r' % r.out)


suite.run()
