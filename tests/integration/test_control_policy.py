#!/usr/bin/python3
"""policy.apply over the control socket: stale revisions, persisting to the policy file
(FILE.bak, a file that cannot be written, an apply that fails after the write), SIGKILL
while persisting, and what a new policy does to live tunnels (on_policy_change)."""

import json
import os
import random
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlutil as cu  # noqa: E402
import harness as h  # noqa: E402

suite = h.Suite('control socket: policy.apply')


def policies(be, port, **top):
    """P0 has routes echo (/echo) and other (/other); P1 drops echo and adds new (/new)."""
    listeners = [h.plain_listener('plain', port)]
    p0 = h.policy(listeners, [h.route('echo', be, path='/echo'),
        h.route('other', be, path='/other')], **top)
    p1 = h.policy(listeners, [h.route('other', be, path='/other'),
        h.route('new', be, path='/new')], **top)
    return p0, p1


def daemon_at(ctx, p, path, name='d'):
    """A daemon whose policy file is at path (the harness puts it next to the socket)."""
    d = ctx.daemon(None, start=False, name=name)
    d.policy_path = path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    d.write_policy(p)
    d.start()
    return d


def read_text(path):
    with open(path, 'rb') as f:
        return f.read().decode()


def read_json(path, what):
    text = read_text(path)
    try:
        return json.loads(text)
    except ValueError as e:
        raise h.Fail('%s (%s) is not JSON (%s): %r' % (what, path, e, text[:300]))


def upgrade_status(port, path):
    conn = h.connect(port)
    try:
        return h.upgrade(conn, path).status
    finally:
        conn.close()


def check_running(ctl, d, policy, revision, what):
    """policy.get says policy at revision, and the listener serves it."""
    got = ctl.call('policy.get')
    h.check_eq(got['revision'], revision, '%s: revision' % what)
    h.check_eq(got['policy'], policy, '%s: running policy' % what)
    port = d.ports()[0]
    for r in policy['routes']:
        h.check_eq(upgrade_status(port, r['match']['path']), 101, '%s: route %s' % (what,
            r['name']))


def kill(d):
    """SIGKILL, expected: the case does not count it as a crash."""
    d.expected_exit = True
    d.kill()


def temp_leftovers(folder):
    return sorted(n for n in os.listdir(folder) if n.startswith('.policy.json.'))


# ---------------------------------------------------------------------------


@suite.case('a stale revision is refused with the current one; the running policy stays')
def stale_revision(ctx):
    be = ctx.backend(h.EchoBackend)
    port = h.free_port()
    p0, p1 = policies(be, port)
    d = ctx.daemon(p0)
    ctl, other = ctx.control(d), ctx.control(d)
    h.check_eq(ctl.call('policy.get')['revision'], 1, 'first revision')
    h.check_eq(other.call('policy.apply', {'policy': p1, 'revision': 1})['revision'], 2,
        'an apply on revision 1')
    err = cu.call_error(ctl, 'policy.apply', {'policy': p0, 'revision': 1}, cu.STALE_REVISION,
        'an apply on revision 1 after another')
    h.check_eq(err.get('data', {}).get('revision'), 2, 'data.revision of -32001')
    cu.call_error(ctl, 'policy.apply', {'policy': p0, 'revision': 7}, cu.STALE_REVISION,
        'an apply on a revision from the future')
    check_running(ctl, d, p1, 2, 'after the stale applies')
    h.check_eq(read_json(d.policy_path, 'policy file'), p1, 'the file after the stale applies')
    h.check_eq(ctl.call('policy.apply', {'policy': p0, 'revision': 2})['revision'], 3,
        'an apply on the current revision')
    h.check_eq(ctl.call('policy.apply', {'policy': p1})['revision'], 4,
        'an apply without a revision')
    check_running(ctl, d, p1, 4, 'after two applies')


@suite.case('persist: the file is rewritten, FILE.bak keeps the one before; persist false '
    'leaves both; a restart runs what was persisted')
def persist(ctx):
    be = ctx.backend(h.EchoBackend)
    port = h.free_port()
    p0, p1 = policies(be, port)
    d = ctx.daemon(p0)
    ctl = ctx.control(d)
    bak = d.policy_path + '.bak'
    original = read_text(d.policy_path)
    h.check(not os.path.exists(bak), 'a FILE.bak before any apply')
    os.chmod(d.policy_path, 0o640)

    h.check_eq(ctl.call('policy.apply', {'policy': p1}), {'revision': 2, 'persisted': True},
        'apply (persist by default: the daemon runs from a file)')
    written = read_json(d.policy_path, 'the persisted file')
    h.check_eq(written, ctl.call('policy.get')['policy'], 'the file and policy.get')
    h.check_eq(written, p1, 'the file and the applied policy')
    h.check_eq(read_text(bak), original, 'FILE.bak after the first apply')
    h.check_eq(oct(os.stat(d.policy_path).st_mode & 0o7777), oct(0o640),
        'the mode of the rewritten file (the old file\'s)')
    rc, out, err = d.check_policy()
    h.check_eq(rc, 0, 'switchboardd --check on the persisted file (%s%s)' % (out, err))
    h.check_eq(temp_leftovers(d.dir), [], 'temp files left in the folder')

    first_written = read_text(d.policy_path)
    p2 = json.loads(json.dumps(p0))
    p2['routes'][1]['idle_timeout_s'] = 77
    h.check_eq(ctl.call('policy.apply', {'policy': p2, 'persist': True})['revision'], 3,
        'second apply')
    h.check_eq(read_json(d.policy_path, 'file'), p2, 'the file after the second apply')
    h.check_eq(read_text(bak), first_written, 'FILE.bak after the second apply')

    file_now, bak_now = read_text(d.policy_path), read_text(bak)
    h.check_eq(ctl.call('policy.apply', {'policy': p1, 'persist': False}),
        {'revision': 4, 'persisted': False}, 'apply with persist false')
    h.check_eq((read_text(d.policy_path), read_text(bak)), (file_now, bak_now),
        'the file and FILE.bak after persist false')
    check_running(ctl, d, p1, 4, 'after persist false')

    ctl.close()
    d.stop()
    d2 = ctx.daemon(None, start=False, name='again')
    d2.policy_path, d2.policy = d.policy_path, p2
    d2.start()
    h.check_eq(ctx.control(d2).call('policy.get')['policy'], p2,
        'the policy a restart runs: the last persisted one')


@suite.case('a policy file that cannot be written: -32003, nothing applied (file is a folder, '
    'folder is a file, read-only mount)', timeout=90)
def unwritable(ctx):
    be = ctx.backend(h.EchoBackend)
    ran = []

    def attempt(d, what):
        p0 = d.policy
        p1 = policies(be, d.ports()[0])[1]
        ctl = ctx.control(d)
        ctl.subscribe()
        err = cu.call_error(ctl, 'policy.apply', {'policy': p1}, cu.POLICY_WRITE, what)
        h.check_in(d.policy_path, err['message'], '%s: message of -32003' % what)
        check_running(ctl, d, p0, 1, what)
        h.check_eq(upgrade_status(d.ports()[0], '/new'), 404, '%s: the route of the policy '
            'that was not applied' % what)
        time.sleep(0.3)
        ctl.call('status')
        h.check_eq([e for e in ctl.events if e.get('type') == 'policy.applied'], [],
            '%s: policy.applied events' % what)
        return ctl, p1

    # the file was replaced by a folder
    d = ctx.daemon(policies(be, h.free_port())[0], name='dir')
    os.rename(d.policy_path, d.policy_path + '.away')
    os.mkdir(d.policy_path)
    ctl, p1 = attempt(d, 'the file is a folder')
    h.check_eq(temp_leftovers(d.dir), [], 'temp files left after the failed write')
    h.check(not os.path.exists(d.policy_path + '.bak'), 'a FILE.bak after the failed write')
    os.rmdir(d.policy_path)
    h.check_eq(ctl.call('policy.apply', {'policy': p1})['revision'], 2,
        'an apply once the file can be written again')
    h.check_eq(read_json(d.policy_path, 'file'), p1, 'the file written after the failure')
    ran.append('file is a folder')
    d.stop()

    # the policy's folder was replaced by a file
    conf = ctx.path('conf')
    d = daemon_at(ctx, policies(be, h.free_port())[0], os.path.join(conf, 'policy.json'),
        name='notdir')
    os.rename(conf, conf + '.away')
    with open(conf, 'w') as f:
        f.write('not a folder\n')
    attempt(d, 'the folder is a file')
    h.check_eq(read_text(conf), 'not a folder\n', 'the file in place of the folder')
    ran.append('folder is a file')
    d.stop()

    # a read-only mount
    ro = ctx.path('romount')
    os.mkdir(ro)
    r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', ro],
        capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        print('# no read-only mount variant: mount: %s' % r.stderr.strip(), flush=True)
    else:
        ctx.on_cleanup(lambda: subprocess.run(['umount', '-l', ro], capture_output=True,
            timeout=30))
        path = os.path.join(ro, 'policy.json')
        d = daemon_at(ctx, policies(be, h.free_port())[0], path, name='ro')
        r = subprocess.run(['mount', '-o', 'remount,ro', ro], capture_output=True, text=True,
            timeout=30)
        h.check_eq(r.returncode, 0, 'mount -o remount,ro (%s)' % r.stderr.strip())
        before = read_text(path)
        attempt(d, 'a read-only mount')
        h.check_eq(read_text(path), before, 'the file on the read-only mount')
        ran.append('read-only mount')
        d.stop()
    print('# variants run: %s' % ', '.join(ran), flush=True)


@suite.case('an apply that fails after the write puts the previous file back')
def apply_fails_after_write(ctx):
    be = ctx.backend(h.EchoBackend)
    port = h.free_port()
    p0, _ = policies(be, port)
    d = ctx.daemon(p0)
    ctl = ctx.control(d)
    before = read_text(d.policy_path)
    busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ctx.on_cleanup(busy.close)
    busy.bind(('127.0.0.1', 0))
    busy.listen(1)
    p1 = json.loads(json.dumps(p0))
    p1['listeners'].append(h.plain_listener('busy', busy.getsockname()[1]))
    err = cu.call_error(ctl, 'policy.apply', {'policy': p1}, cu.POLICY_INVALID,
        'a listener on a port in use')
    h.check(err.get('data', {}).get('errors'), 'data.errors: %r' % err)
    h.check_eq(read_text(d.policy_path), before, 'the policy file after the failed apply')
    check_running(ctl, d, p0, 1, 'after the failed apply')


@suite.case('SIGKILL while persisting, 60 rounds: the file is always one whole policy',
    timeout=280)
def sigkill_persist(ctx):
    be = ctx.backend(h.EchoBackend)
    port = h.free_port()
    listeners = [h.plain_listener('plain', port)]
    pa = h.policy(listeners, [h.route('a', be, path='/a')])
    # b is much longer than a, so that a file cut short or mixed would show
    pb = h.policy(listeners, [h.route('b%02d' % i, be, path='/b%02d' % i, idle_timeout_s=100 + i)
        for i in range(40)], on_policy_change='keep')
    path = ctx.path('conf', 'policy.json')
    d = daemon_at(ctx, pa, path, name='first')
    ctl = ctx.control(d)
    norm_a = ctl.call('policy.get')['policy']
    ctl.call('policy.apply', {'policy': pb, 'persist': False})
    norm_b = ctl.call('policy.get')['policy']
    h.check(norm_a != norm_b, 'the two policies read back the same')
    names = {json.dumps(norm_a, sort_keys=True): 'a', json.dumps(norm_b, sort_keys=True): 'b',
        json.dumps(pa, sort_keys=True): 'a'}
    ctl.close()
    kill(d)

    rng = random.Random()
    rounds, applies, inside_write, outcomes = 60, 0, 0, {'a': 0, 'b': 0}
    apply_s = 0.01  # how long one apply with its fsyncs takes here, measured as we go
    on_file = 'a'
    folder = os.path.dirname(path)
    for i in range(rounds):
        d = ctx.daemon(None, start=False, name='r%02d' % i)
        d.policy_path, d.policy = path, pa
        d.start()
        state = {'acked': on_file, 'in_flight': None, 'count': 0, 'error': None,
            'took': [], 'killing': False}
        c = cu.control_blocking(d.control, timeout=10)

        def applier():
            target = 'b' if state['acked'] == 'a' else 'a'
            try:
                for _ in range(100000):
                    state['in_flight'] = target
                    start = time.monotonic()
                    c.call('policy.apply', {'policy': pa if target == 'a' else pb,
                        'persist': True}, timeout=10)
                    state['took'].append(time.monotonic() - start)
                    state['acked'], state['in_flight'] = target, None
                    state['count'] += 1
                    target = 'b' if target == 'a' else 'a'
            except (OSError, h.Fail) as e:
                # only the kill may end the applier: an error before it fails the round
                state['error'] = None if state['killing'] else repr(e)
        before = set(temp_leftovers(folder))
        t = threading.Thread(target=applier, daemon=True)
        t.start()
        # after 0 to 3 whole applies, somewhere within the next one or two
        whole = rng.randrange(4)
        h.wait_for(lambda: state['count'] >= whole, 10, 'round %d: %d applies' % (i, whole),
            interval=0.001)
        time.sleep(rng.uniform(0.0, 2 * apply_s))
        state['killing'] = True
        kill(d)
        t.join(10)
        c.close()
        h.check(not t.is_alive(), 'round %d: the applier still runs after the kill' % i)
        h.check(state['error'] is None, 'round %d: an apply failed before the kill: %s' % (i,
            state['error']))
        applies += state['count']
        if state['took']:
            apply_s = sorted(state['took'])[len(state['took']) // 2]
        if set(temp_leftovers(folder)) - before:
            inside_write += 1

        doc = read_json(path, 'round %d: the policy file after SIGKILL' % i)
        got = names.get(json.dumps(doc, sort_keys=True))
        h.check(got is not None, 'round %d: the file is neither policy: %r' % (i, doc))
        allowed = {state['acked'], state['in_flight']} - {None}
        h.check(got in allowed, 'round %d: the file holds %s, but the last acknowledged apply '
            'was %s and the one in flight %s' % (i, got, state['acked'], state['in_flight']))
        if os.path.exists(path + '.bak'):
            bak = read_json(path + '.bak', 'round %d: FILE.bak' % i)
            h.check(json.dumps(bak, sort_keys=True) in names, 'round %d: FILE.bak is neither '
                'policy: %r' % (i, bak))
        r = subprocess.run([h.daemon_path(), '--policy', path, '--check'], capture_output=True,
            text=True, timeout=30)
        h.check_eq(r.returncode, 0, 'round %d: switchboardd --check (%s%s)' % (i, r.stdout,
            r.stderr))
        on_file = got
        outcomes[got] += 1

    d = ctx.daemon(None, start=False, name='last')
    d.policy_path, d.policy = path, pa
    d.start()
    got = ctx.control(d).call('policy.get')['policy']
    h.check_eq(got, norm_a if on_file == 'a' else norm_b, 'the policy run after the last kill')
    # A kill between the temp file's creation and its rename leaves the temp file behind:
    # unless some did, the rounds proved nothing about a write cut short. (About a quarter
    # of the kills land there; fewer than 3 of 60 has a chance below 1e-5.)
    h.check(inside_write >= 3, 'only %d of %d kills landed inside a write' % (inside_write,
        rounds))
    print('# %d rounds, %d applies acknowledged (one takes %.1f ms), %d kills inside a write '
        '(their temp files are left in the folder), the file held a %d / b %d times' % (
        rounds, applies, apply_s * 1000, inside_write, outcomes['a'], outcomes['b']),
        flush=True)


# ---------------------------------------------------------------------------
# Live tunnels and a new policy


def tunnel_scenario(ctx, change, where):
    """
    Tunnel t on route echo and u on route other; a policy change that either removes
    echo (change 'removed') or allows echo only 10.0.0.0/8 ('allow'), with
    on_policy_change "close" at where ('route', 'top') or nowhere (None: keep).
    Returns after checking t: closed with the reason, or kept and still carrying data;
    u is kept in every case.
    """
    be = ctx.backend(h.EchoBackend)
    port = h.free_port()
    top = {'on_policy_change': 'close'} if where == 'top' else {}
    p0, p1 = policies(be, port, **top)
    if where == 'route':
        p0['routes'][0]['on_policy_change'] = 'close'
    if change == 'allow':
        p1 = json.loads(json.dumps(p0))
        p1['routes'][0]['allow'] = ['10.0.0.0/8']
    d = ctx.daemon(p0)
    ctl = ctx.control(d)
    ctl.subscribe()
    t = ctx.tunnel(port, '/echo')
    u = ctx.tunnel(port, '/other')
    tid = ctl.wait_event('connection.opened', client='%s:%d' % t.sock.getsockname())['id']
    uid = ctl.wait_event('connection.opened', client='%s:%d' % u.sock.getsockname())['id']
    for c in (t, u):
        c.sendall(b'before')
        h.check_eq(c.recv_exact(6), b'before', 'echo before the change')

    log_at = d.log_size()
    h.check_eq(ctl.call('policy.apply', {'policy': p1, 'revision': 1})['revision'], 2, 'apply')
    ctl.wait_event('policy.applied', revision=2)
    h.check_eq(upgrade_status(port, '/echo'), 404 if change == 'removed' else 403,
        'a new connection to echo after the change')
    why = ('route removed by a policy change' if change == 'removed' else
        'no longer allowed by the policy')
    if where is None:
        d.wait_log(r'conn %d route echo: %s; kept \(on_policy_change keep\)' % (tid, why),
            since=log_at)
        data = h.pattern_bytes(256 << 10, 3)
        got, hs, hr = h.echo_roundtrip(t, len(data), 3)
        h.check_eq(hr, hs, 'data through the kept tunnel')
        h.check(tid in [c['id'] for c in ctl.call('connections.list')], 'the kept tunnel is '
            'not listed')
    else:
        ev = ctl.wait_event('connection.closed', id=tid)
        h.check_eq(ev.get('reason'), why, 'reason of the close')
        t.wait_eof(5)
        h.check(tid not in [c['id'] for c in ctl.call('connections.list')], 'the closed tunnel '
            'is still listed')
    u.sendall(b'after')
    h.check_eq(u.recv_exact(5), b'after', 'echo on the untouched tunnel after the change')
    time.sleep(0.3)
    ctl.call('status')
    h.check_eq([e for e in ctl.events if e.get('type') == 'connection.closed' and
        e.get('id') == uid], [], 'connection.closed of the untouched tunnel')
    h.check(uid in [c['id'] for c in ctl.call('connections.list')], 'the untouched tunnel is '
        'not listed')


@suite.case('route removed by policy.apply: the tunnel is kept by default and carries data')
def removed_keep(ctx):
    tunnel_scenario(ctx, 'removed', None)


@suite.case('route removed, route on_policy_change "close": closed with the reason')
def removed_close_route(ctx):
    tunnel_scenario(ctx, 'removed', 'route')


@suite.case('route removed, top-level on_policy_change "close": closed with the reason')
def removed_close_top(ctx):
    tunnel_scenario(ctx, 'removed', 'top')


@suite.case('client no longer in allow: kept by default')
def allow_keep(ctx):
    tunnel_scenario(ctx, 'allow', None)


@suite.case('client no longer in allow, route on_policy_change "close": closed with the reason')
def allow_close_route(ctx):
    tunnel_scenario(ctx, 'allow', 'route')


@suite.case('client no longer in allow, top-level on_policy_change "close": closed')
def allow_close_top(ctx):
    tunnel_scenario(ctx, 'allow', 'top')


suite.run()
