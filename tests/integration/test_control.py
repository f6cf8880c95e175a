#!/usr/bin/python3
"""The control socket spoken directly (JSON-RPC 2.0, one object a line): each method's
result, events and their times, every error code with the session going on after it, and
who may connect (socket mode, group, allow_uids). Many clients and clients that do not
read are in test_control_load.py; policy.apply in test_control_policy.py."""

import grp
import json
import os
import socket
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlutil as cu  # noqa: E402
import harness as h  # noqa: E402
from ctlutil import greeted_tunnel, live_entry, local_name, refused, setup  # noqa: E402

suite = h.Suite('control socket')

GREETING = cu.GREETING


# ---------------------------------------------------------------------------
# Methods


@suite.case('status: version, uptime, listeners; counters move with a tunnel and a refusal')
def status(ctx):
    d = setup(ctx)
    ctl = ctx.control(d)
    st = ctl.call('status')
    h.check(isinstance(st.get('version'), str) and st['version'], 'version: %r' % st)
    h.check(isinstance(st.get('uptime_s'), int) and 0 <= st['uptime_s'] < 60,
        'uptime_s: %r' % st)
    h.check_eq(st.get('listeners'), [{'name': 'plain', 'bind': '127.0.0.1:%d' % d.port,
        'tls': False}], 'listeners')
    before = st['counters']
    for key in ('accepted', 'upgraded', 'rejected', 'active', 'bytes_up', 'bytes_down'):
        h.check(isinstance(before.get(key), int) and before[key] >= 0,
            'counters.%s: %r' % (key, before))
    h.check_eq(before['active'], 0, 'active tunnels before any')

    conn = greeted_tunnel(ctx, d)
    data = h.pattern_bytes(10000, 1)
    conn.sendall(data)
    h.check_eq(conn.recv_exact(len(data)), data, 'echo')

    def moved():
        c = ctl.call('status')['counters']
        done = (c['bytes_up'] - before['bytes_up'] >= len(data) and
            c['bytes_down'] - before['bytes_down'] >= len(data) + len(GREETING))
        return c if done else None
    c = h.wait_for(moved, 5, 'byte counters to move')
    h.check(c['accepted'] >= before['accepted'] + 1, 'accepted did not move: %r' % c)
    h.check_eq(c['upgraded'], before['upgraded'] + 1, 'upgraded')
    h.check_eq(c['active'], 1, 'active with one tunnel open')
    h.check_eq(c['bytes_up'] - before['bytes_up'], len(data), 'bytes_up (client to backend)')
    h.check_eq(c['bytes_down'] - before['bytes_down'], len(data) + len(GREETING),
        'bytes_down (backend to client)')
    h.check_eq(c['rejected'], before['rejected'], 'rejected before any refusal')

    h.check_eq(refused(d.port, '/private'), 403, 'refusal on /private')
    h.check_eq(refused(d.port, '/nowhere'), 404, 'refusal on /nowhere')
    h.wait_for(lambda: ctl.call('status')['counters']['rejected'] == before['rejected'] + 2, 5,
        'rejected to count two refusals')
    conn.close()
    h.wait_for(lambda: ctl.call('status')['counters']['active'] == 0, 5,
        'active back to 0 after the tunnel closed')
    time.sleep(1.1)
    h.check(ctl.call('status')['uptime_s'] >= 1, 'uptime_s does not grow')


@suite.case('connections.list: every field of a live tunnel, half-closed state; close by id')
def connections(ctx):
    d = setup(ctx, backend=cu.HoldBackend)
    ctl = ctx.control(d)
    h.check_eq(ctl.call('connections.list'), [], 'no tunnel yet')
    sub = ctx.control(d)
    sub.subscribe()
    t_open = time.time()
    conn = ctx.tunnel(d.port, '/echo')
    conn.sendall(b'x' * 1234)
    h.check_eq(conn.recv_exact(1234), b'x' * 1234, 'echo')
    entry = h.wait_for(lambda: (lambda e: e if e and e['bytes_up'] == 1234 and
        e['bytes_down'] == 1234 else None)(live_entry(ctl, conn)), 5, 'the tunnel listed')
    for key in cu.CONN_FIELDS:
        h.check(key in entry, 'connections.list entry without %s: %r' % (key, entry))
    h.check(isinstance(entry['id'], int) and entry['id'] > 0, 'id: %r' % entry)
    h.check_eq(entry['listener'], 'plain', 'listener')
    h.check_eq(entry['route'], 'echo', 'route')
    h.check_eq(entry['mode'], 'tunnel', 'mode')
    h.check_eq(entry['client'], local_name(conn), 'client')
    h.check_eq(entry['backend'], '127.0.0.1:%d' % d.backend.port, 'backend')
    started = cu.check_recent(entry['started'], 'started')
    h.check(t_open - 1 <= started <= time.time() + 1, 'started %r is not when the tunnel '
        'opened (%.3f)' % (entry['started'], t_open))
    h.check_eq(entry['state'], 'open', 'state')

    conn.shutdown_write()
    h.wait_for(lambda: (live_entry(ctl, conn) or {}).get('state') == 'half-closed', 5,
        'state half-closed after the client shut its write side')

    h.check_eq(ctl.call('connections.close', {'id': entry['id']}), {}, 'connections.close')
    conn.wait_eof(5)
    ev = sub.wait_event('connection.closed', id=entry['id'])
    h.check_in('control', ev.get('reason', ''), 'reason of a close by connections.close')
    h.check_eq(ev.get('state'), 'closed', 'state in connection.closed')
    h.check_eq(ev.get('client'), entry['client'], 'client in connection.closed')
    h.wait_for(lambda: ctl.call('connections.list') == [], 5, 'an empty list after the close')
    err = cu.call_error(ctl, 'connections.close', {'id': entry['id']}, cu.NO_SUCH_CONNECTION,
        'closing it a second time')
    h.check_in(str(entry['id']), err['message'], 'message of -32002')
    h.check(d.wait_log(r'control: uid 0 closes connection %d' % entry['id']), 'log line')


@suite.case('policy.get and policy.validate: the running policy, valid and invalid with paths')
def policy_get_validate(ctx):
    d = setup(ctx)
    ctl = ctx.control(d)
    got = ctl.call('policy.get')
    h.check_eq(got.get('revision'), 1, 'revision at start')
    h.check_eq(got.get('policy'), d.policy, 'policy.get equals the file the daemon runs')

    h.check_eq(ctl.call('policy.validate', {'policy': d.policy}),
        {'valid': True, 'would_close': [], 'would_keep': []}, 'the running policy validates')
    bad = json.loads(json.dumps(d.policy))
    bad['listeners'][0]['bind'] = 'nope'
    bad['routes'][0]['backend'] = '127.0.0.1:70000'
    bad['routes'][1]['bogus'] = 1
    err = cu.call_error(ctl, 'policy.validate', {'policy': bad}, cu.POLICY_INVALID,
        'an invalid policy')
    errors = err.get('data', {}).get('errors')
    h.check(isinstance(errors, list), 'data.errors: %r' % err)
    for e in errors:
        h.check(isinstance(e.get('message'), str) and e['message'], 'an error without a '
            'message: %r' % e)
    h.check_eq(sorted(e['path'] for e in errors),
        ['listeners[0].bind', 'routes[0].backend', 'routes[1].bogus'], 'error paths')
    one = json.loads(json.dumps(d.policy))
    one['routes'][1]['mode'] = 'teleport'
    err = cu.call_error(ctl, 'policy.validate', {'policy': one}, cu.POLICY_INVALID, 'bad mode')
    h.check_eq([e['path'] for e in err['data']['errors']], ['routes[1].mode'], 'path')
    h.check_in('routes[1].mode', err['message'], 'message of a single error')
    err = cu.call_error(ctl, 'policy.validate', {'policy': 'not an object'}, cu.POLICY_INVALID,
        'a policy that is a string')
    h.check(err['data']['errors'], 'no data.errors for a policy that is a string')
    h.check_eq(ctl.call('policy.get')['revision'], 1, 'validate applied nothing')


@suite.case('events.subscribe: opened, updated (once a second, when moved), closed, rejected, '
    'policy.applied', timeout=90)
def events(ctx):
    d = setup(ctx)
    ctl = ctx.control(d)
    h.check_eq(ctl.call('events.subscribe'), {}, 'events.subscribe result')
    conn = greeted_tunnel(ctx, d)
    me = local_name(conn)
    opened = ctl.wait_event('connection.opened', client=me)
    cid = opened.get('id')
    for key in cu.CONN_FIELDS:
        h.check(key in opened, 'connection.opened without %s: %r' % (key, opened))
    h.check_eq((opened['route'], opened['mode'], opened['listener'], opened['backend']),
        ('echo', 'tunnel', 'plain', '127.0.0.1:%d' % d.backend.port), 'opened fields')
    cu.check_recent(opened.get('time'), 'opened time')
    cu.check_recent(opened.get('started'), 'opened started')

    # traffic for 3.5 s, a byte every 100 ms
    sent = 0
    t_end = time.monotonic() + 3.5
    for _ in range(100):
        if time.monotonic() >= t_end:
            break
        conn.sendall(b'u')
        h.check_eq(conn.recv_exact(1), b'u', 'echo')
        sent += 1
        time.sleep(0.1)
    last = ctl.wait_event('connection.updated', timeout=5, id=cid, bytes_up=sent)
    updates = [e for e in ctl.events if e.get('type') == 'connection.updated' and
        e.get('id') == cid] + [last]
    h.check(3 <= len(updates) <= 5, '%d connection.updated events in 3.5 s of traffic: %r' %
        (len(updates), updates))
    times = [cu.unix_time(e.get('time'), 'updated time') for e in updates]
    for a, b in zip(times, times[1:]):
        h.check(b - a >= 0.8, 'two connection.updated of one connection %.3f s apart: %r' %
            (b - a, updates))
    ups = [e['bytes_up'] for e in updates]
    h.check(ups == sorted(set(ups)), 'updated events whose bytes_up did not move: %r' % ups)
    h.check_eq(last['bytes_down'], sent + len(GREETING), 'bytes_down in the last update')
    ctl.events = [e for e in ctl.events if e.get('type') != 'connection.updated']
    # no traffic: no update
    time.sleep(2.5)
    ctl.call('status')
    quiet = [e for e in ctl.events if e.get('type') == 'connection.updated' and
        e.get('id') == cid]
    h.check_eq(quiet, [], 'connection.updated while no byte moved')

    h.check_eq(refused(d.port, '/nowhere'), 404, 'refusal')
    rej = ctl.wait_event('upgrade.rejected', status=404)
    cu.check_recent(rej.get('time'), 'rejected time')
    h.check_eq(rej.get('listener'), 'plain', 'listener of the refusal')
    h.check(isinstance(rej.get('reason'), str) and rej['reason'], 'reason: %r' % rej)
    h.check(str(rej.get('client', '')).startswith('127.0.0.1:'), 'client: %r' % rej)
    h.check('route' not in rej or rej['route'] is None, 'a 404 names a route: %r' % rej)
    h.check_eq(refused(d.port, '/private'), 403, 'refusal by allow')
    rej = ctl.wait_event('upgrade.rejected', status=403)
    h.check_eq(rej.get('route'), 'private', 'route of a refusal by a route')

    conn.close()
    closed = ctl.wait_event('connection.closed', id=cid)
    cu.check_recent(closed.get('time'), 'closed time')
    h.check(isinstance(closed.get('reason'), str) and closed['reason'], 'reason: %r' % closed)
    h.check_eq((closed.get('bytes_up'), closed.get('state')), (sent, 'closed'),
        'closed fields')

    rev = ctl.call('policy.apply', {'policy': d.policy, 'revision': 1})['revision']
    h.check_eq(rev, 2, 'revision after an apply')
    ev = ctl.wait_event('policy.applied', revision=2)
    cu.check_recent(ev.get('time'), 'policy.applied time')
    h.check_in('control', str(ev.get('by')), 'by of policy.applied')

    # a second subscribe is harmless: still one copy of each event
    h.check_eq(ctl.call('events.subscribe'), {}, 'a second events.subscribe')
    ctl.events = []
    h.check_eq(refused(d.port, '/again'), 404, 'refusal')
    ctl.wait_event('upgrade.rejected', status=404)
    time.sleep(0.5)
    ctl.call('status')
    h.check_eq([e for e in ctl.events if e.get('type') == 'upgrade.rejected'], [],
        'a second copy of an event after subscribing twice')


# ---------------------------------------------------------------------------
# Errors


@suite.case('every error code, each followed by a status answer on the same session')
def errors(ctx):
    d = setup(ctx)
    ctl = ctx.control(d)

    cu.send_raw(ctl, b'{"jsonrpc": "2.0", "id": 1, "method": "status"\n')
    cu.expect_error(cu.next_answer(ctl), cu.PARSE, None, 'malformed JSON')
    cu.still_answers(ctl, 'malformed JSON')

    cu.send_raw(ctl, b'{"jsonrpc": "2.0", "id": 2, "method": "st\xffatus"}\n')
    cu.expect_error(cu.next_answer(ctl), cu.PARSE, None, 'non-UTF-8 bytes')
    cu.still_answers(ctl, 'non-UTF-8 bytes')
    cu.send_raw(ctl, b'{"jsonrpc": "2.0", "id": 3, "method": "status", "x": "\xc0\xaf"}\n')
    cu.expect_error(cu.next_answer(ctl), cu.PARSE, None, 'an overlong UTF-8 sequence')
    cu.still_answers(ctl, 'an overlong UTF-8 sequence')

    # params, when given, must be an object or an array (JSON-RPC 2.0, 4.2)
    for raw, sent_id, what in (
            (b'[1, 2]\n', None, 'an array'),
            (b'"status"\n', None, 'a string'),
            (b'{"jsonrpc": "2.0", "id": 4}\n', 4, 'no method'),
            (b'{"jsonrpc": "1.0", "id": 5, "method": "status"}\n', 5, 'jsonrpc 1.0'),
            (b'{"jsonrpc": "2.0", "id": 6, "method": 7}\n', 6, 'a method that is a number'),
            (cu.request_line('policy.validate', 7, 'x'), 7, 'params that are a string')):
        cu.send_raw(ctl, raw)
        msg = cu.next_answer(ctl)
        cu.expect_error(msg, cu.INVALID_REQUEST, msg.get('id'), what)
        h.check(msg.get('id') in (None, sent_id), '%s: id %r' % (what, msg.get('id')))
        cu.still_answers(ctl, what)

    err = cu.call_error(ctl, 'frobnicate', None, cu.NO_METHOD, 'unknown method', id=6)
    h.check_in('frobnicate', err['message'], 'message of -32601')
    cu.still_answers(ctl, 'an unknown method')

    for method, params, what in (
            ('connections.close', {'id': '5'}, 'connections.close with a string id'),
            ('connections.close', None, 'connections.close without params'),
            ('connections.close', {'id': -3}, 'connections.close with a negative id'),
            ('connections.close', [1], 'connections.close with an array'),
            ('policy.apply', {'policy': d.policy, 'persist': 'yes'},
             'policy.apply with persist "yes"'),
            ('policy.apply', {'policy': d.policy, 'revision': 'one'},
             'policy.apply with a string revision')):
        cu.call_error(ctl, method, params, cu.BAD_PARAMS, what, id=7)
        cu.still_answers(ctl, what)
    h.check_eq(ctl.call('policy.get')['revision'], 1, 'no bad-params apply applied anything')

    cu.call_error(ctl, 'connections.close', {'id': 987654321}, cu.NO_SUCH_CONNECTION,
        'an unknown connection id', id=8)
    cu.still_answers(ctl, 'an unknown connection id')
    h.check(d.alive(), 'the daemon died')


@suite.case('a request split across writes is answered once it is whole; notifications get none')
def half_line(ctx):
    d = setup(ctx)
    ctl = ctx.control(d)
    cu.send_raw(ctl, b'{"jsonrpc": "2.0", "id": 41, ')
    ctl.sock.settimeout(0.5)
    try:
        early = ctl.sock.recv(65536)
    except socket.timeout:
        early = b''
    h.check_eq(early, b'', 'an answer to half a line')
    cu.send_raw(ctl, b'"method": "sta')
    time.sleep(0.2)
    cu.send_raw(ctl, b'tus"}')
    time.sleep(0.2)
    cu.send_raw(ctl, b'\n')
    msg = cu.next_answer(ctl)
    h.check_eq(msg.get('id'), 41, 'id of the answer to the joined line')
    h.check('counters' in msg.get('result', {}), 'status result: %r' % msg)

    # two requests in one write, then a notification (no id): two answers, no third
    cu.send_raw(ctl, cu.request_line('status', 42) + cu.request_line('policy.get', 43) +
        cu.request_line('status'))
    h.check_eq([cu.next_answer(ctl).get('id') for _ in range(2)], [42, 43], 'answer ids')
    cu.send_raw(ctl, cu.request_line('frobnicate'))
    cu.still_answers(ctl, 'a notification')
    h.check_eq(ctl.buf, b'', 'bytes after the status answer: an answer to a notification')


@suite.case('a 2 MiB line: an error, the session goes on; a 900 KiB request is answered',
    timeout=60)
def long_line(ctx):
    d = setup(ctx)
    ctl = ctx.control(d)
    filler = b'a' * (2 << 20)
    line = b'{"jsonrpc": "2.0", "id": 51, "method": "status", "pad": "' + filler + b'"}\n'
    for i in range(0, len(line), 100000):
        cu.send_raw(ctl, line[i:i + 100000])
    msg = cu.next_answer(ctl)
    err = cu.expect_error(msg, cu.INVALID_REQUEST, None, 'a 2 MiB line')
    h.check_in('long', err['message'], 'message of the long-line error')
    cu.still_answers(ctl, 'a 2 MiB line')
    h.check_eq(ctl.buf, b'', 'more than one answer to a 2 MiB line')

    # a long line without its end yet, then the rest with a request behind it
    cu.send_raw(ctl, b'{"pad": "' + filler)
    time.sleep(0.3)
    cu.send_raw(ctl, filler + b'"}\n' + cu.request_line('status', 52))
    cu.expect_error(cu.next_answer(ctl), cu.INVALID_REQUEST, None, 'a 4 MiB line in two writes')
    h.check_eq(cu.next_answer(ctl).get('id'), 52, 'the request behind a long line')

    big = {'jsonrpc': '2.0', 'id': 53, 'method': 'policy.validate',
        'params': {'policy': d.policy, 'comment': 'b' * (900 << 10)}}
    cu.send_raw(ctl, json.dumps(big).encode() + b'\n')
    msg = cu.next_answer(ctl)
    h.check_eq(msg.get('id'), 53, 'the answer to a 900 KiB request')
    h.check(d.alive(), 'the daemon died')


# ---------------------------------------------------------------------------
# Who may connect


def open_path(ctx, d):
    """Lets other uids reach the socket's folder (the case's temp dir is 0700)."""
    for p in (ctx.tmp, d.dir):
        os.chmod(p, 0o755)


@suite.case('control.mode and control.group set the socket file; other uids meet the mode')
def socket_mode(ctx):
    d = setup(ctx, control={'mode': '0600'})
    open_path(ctx, d)
    st = os.stat(d.control)
    h.check(stat.S_ISSOCK(st.st_mode), 'not a socket')
    h.check_eq(oct(stat.S_IMODE(st.st_mode)), oct(0o600), 'socket mode')
    cu.still_answers(ctx.control(d), 'root on a 0600 socket')
    out = cu.as_user(d.control)
    h.check_eq(out['connect'], 'EACCES', 'connect as uid %d to a 0600 root socket' % cu.NOBODY)
    d.stop()

    try:
        gid = grp.getgrnam('nogroup').gr_gid
    except KeyError:
        raise h.Skip('no group "nogroup" for the group half')
    d2 = ctx.daemon(dict(d.policy, control={'mode': '0660', 'group': 'nogroup'}), name='d2')
    st = os.stat(d2.control)
    h.check_eq(oct(stat.S_IMODE(st.st_mode)), oct(0o660), 'socket mode 0660')
    h.check_eq(st.st_gid, gid, 'socket group')
    open_path(ctx, d2)
    out = cu.as_user(d2.control)
    h.check_eq(out['connect'], None, 'connect as a member of the socket group (gid %d)' % gid)
    h.check('"result"' in out['data'], 'status as uid %d in group nogroup: %r' % (cu.NOBODY,
        out))


@suite.case('control.allow_uids: root and the daemon\'s uid always pass; another uid is '
    'refused with an error line')
def allow_uids(ctx):
    # root (and the daemon's own uid) may always connect, whatever allow_uids says: a
    # list that shut out the daemon's owner would leave nobody able to fix it
    d = setup(ctx, control={'mode': '0666', 'allow_uids': [12345]})
    open_path(ctx, d)
    h.check_eq(oct(stat.S_IMODE(os.stat(d.control).st_mode)), oct(0o666), 'socket mode')
    ctl = ctx.control(d)
    cu.still_answers(ctl, 'root with allow_uids [12345]')
    out = cu.as_user(d.control)
    h.check_eq(out['connect'], None, 'connect as uid %d to a 0666 socket' % cu.NOBODY)
    lines = [l for l in out['data'].split('\n') if l]
    h.check_eq(len(lines), 1, 'lines to a uid not in allow_uids: %r' % out['data'])
    msg = json.loads(lines[0])
    err = cu.expect_error(msg, cu.INVALID_REQUEST, None, 'a uid not in allow_uids')
    h.check_in('permission denied', err['message'], 'message')
    h.check(out['closed'], 'the refused client was not closed: %r' % out)
    d.wait_log(r'control: refused uid %d' % cu.NOBODY)
    cu.still_answers(ctl, 'a refused client')
    d.stop()

    d2 = ctx.daemon(dict(d.policy, control={'mode': '0666', 'allow_uids': [cu.NOBODY]}),
        name='d2')
    open_path(ctx, d2)
    out = cu.as_user(d2.control)
    h.check(out['connect'] is None and '"result"' in out['data'], 'uid %d in allow_uids: %r' %
        (cu.NOBODY, out))
    cu.still_answers(ctx.control(d2), 'root with allow_uids [%d]' % cu.NOBODY)


suite.run()

