#!/usr/bin/python3
"""The kept events: the last 1,000 refusals and closed connections, recorded while nobody
listens, replayed by events.subscribe {"history": true} before the live ones with none lost
or doubled at the seam, and shown by switchboardctl refused and watch --history."""

import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlutil as cu  # noqa: E402
import harness as h  # noqa: E402

suite = h.Suite('history')

KEPT = 1000


def setup(ctx, name='d'):
    echo = ctx.backend(h.EchoBackend)
    port = h.free_port()
    d = ctx.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('echo', echo, path='/echo'),
         h.route('private', echo, path='/private', allow=['10.0.0.0/8'])]), name=name)
    d.port = port
    return d


def refuse(d, path='/nowhere'):
    """One refused upgrade; returns the client address the daemon saw."""
    c = h.connect(d.port)
    try:
        client = '127.0.0.1:%d' % c.sock.getsockname()[1]
        resp = h.upgrade(c, path)
        h.check(resp.status in (403, 404), 'refused %s: %d' % (path, resp.status))
    finally:
        c.close()
    return client


def ctl_next(ctl, timeout=10):
    """The next event of a session, in the order the daemon sent it."""
    if ctl.events:
        return ctl.events.pop(0)
    msg = ctl._message(time.monotonic() + h.scaled(timeout))
    h.check('id' not in msg, 'an answer where an event was due: %r' % msg)
    return msg['params']


def subscribe_history(ctx, d):
    """A session subscribed with history: (the session, the count it announced, the events)."""
    ctl = ctx.control(d)
    r = ctl.call('events.subscribe', {'history': True})
    h.check(isinstance(r.get('history'), int), 'subscribe answer: %r' % r)
    return ctl, r['history'], [ctl_next(ctl) for _ in range(r['history'])]


@suite.case('refusals and closes made while nobody listened come first, oldest first')
def replay(ctx):
    d = setup(ctx)
    first = refuse(d)
    conn = ctx.tunnel(d.port, '/echo')
    conn.sendall(b'abc')
    conn.recv_exact(3)
    conn.close()
    d.wait_log(r'route echo: closed: ')
    second = refuse(d, '/private')

    ctl, n, kept = subscribe_history(ctx, d)
    h.check_eq(n, 3, 'kept events announced')
    h.check_eq([e['type'] for e in kept], ['upgrade.rejected', 'connection.closed',
        'upgrade.rejected'], 'kept types, oldest first')
    for e in kept:
        h.check(e.get('history') is True, 'a kept event without "history": true: %r' % e)
        cu.check_recent(e['time'], 'kept event time')
    h.check_eq((kept[0]['client'], kept[0]['status'], kept[0]['listener']),
        (first, 404, 'plain'), 'first refusal')
    h.check_eq((kept[2]['client'], kept[2]['status'], kept[2]['route']),
        (second, 403, 'private'), 'second refusal')
    closed = kept[1]
    h.check_eq((closed['route'], closed['bytes_up'], closed['bytes_down'], closed['state']),
        ('echo', 3, 3, 'closed'), 'closed connection')
    h.check(isinstance(closed.get('reason'), str) and closed['reason'], 'close reason')

    # then live events, without the flag
    live = refuse(d)
    ev = ctl_next(ctl)
    h.check_eq((ev['type'], ev['client']), ('upgrade.rejected', live), 'live event')
    h.check('history' not in ev, 'a live event marked as history: %r' % ev)

    # a plain subscription gets no history
    plain = ctx.control(d)
    h.check_eq(plain.call('events.subscribe'), {}, 'subscribe without history')
    h.check_eq(plain.call('events.subscribe', {'history': False}), {}, 'history false')
    cu.call_error(plain, 'events.subscribe', {'history': 'yes'}, cu.BAD_PARAMS,
        'history must be a boolean')


@suite.case('the ring keeps the last 1,000, oldest first')
def ring(ctx):
    d = setup(ctx)
    clients = [refuse(d) for _ in range(KEPT + 25)]
    _, n, kept = subscribe_history(ctx, d)
    h.check_eq(n, KEPT, 'kept events announced')
    h.check_eq([e['client'] for e in kept], clients[25:], 'the newest 1,000, in order')


@suite.case('subscribing while refusals stream in: each one exactly once, history or live')
def seam(ctx):
    d = setup(ctx)
    total, sessions = 600, []
    done = threading.Event()
    made = []

    # Each refusal is told apart by its path: over 600 connections the
    # client's ephemeral port may come round again.
    def refuser():
        try:
            for k in range(total):
                path = '/nowhere/%d' % k
                refuse(d, path)
                made.append(path)
        finally:
            done.set()
    t = threading.Thread(target=refuser, daemon=True)
    t.start()
    # subscribers arrive at different moments of the stream
    while not done.is_set() and len(sessions) < 30:
        if len(made) >= len(sessions) * (total // 40):
            ctl = ctx.control(d)
            r = ctl.call('events.subscribe', {'history': True})
            sessions.append((ctl, r['history']))
    t.join(h.scaled(120))
    h.check_eq(len(made), total, 'refusals made')
    h.check(len(sessions) >= 10, 'only %d subscribers met the stream' % len(sessions))
    for i, (ctl, n) in enumerate(sessions):
        got, flags = [], []
        while not got or got[-1] != made[-1]:
            ev = ctl_next(ctl)
            got.append(ev['path'])
            flags.append(ev.get('history') is True)
        h.check_eq(flags, [True] * n + [False] * (len(got) - n),
            'subscriber %d: history first, then live' % i)
        want = made[len(made) - len(got):]
        if got != want:
            at = next(k for k in range(len(got)) if got[k] != want[k])
            raise h.Fail('subscriber %d (history %d): event %d is %s, expected %s (each '
                'refusal once, in order; %s)' % (i, n, at, got[at], want[at],
                'doubled' if got[at] in got[:at] else 'one lost'))


@suite.case('switchboardctl refused and watch --history')
def cli(ctx):
    d = setup(ctx)
    nowhere = refuse(d)
    private = refuse(d, '/private')
    conn = ctx.tunnel(d.port, '/echo')
    conn.close()
    d.wait_log(r'route echo: closed: ')

    r = cu.ctl(d, 'refused').expect(cu.OK)
    lines = r.out.splitlines()
    h.check(re.match(r'TIME \(UTC\) +CLIENT +LISTENER +ROUTE +STATUS +REASON$', lines[0]),
        'header: %r' % r.out)
    h.check_eq(len(lines), 3, 'one row per refusal, no closed connection: %r' % r.out)
    h.check(re.match(r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +%s +plain +- +404 +\S' %
        re.escape(nowhere), lines[1]), 'first row: %r' % lines[1])
    h.check(re.match(r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +%s +plain +private +403 +\S' %
        re.escape(private), lines[2]), 'second row: %r' % lines[2])
    j = cu.ctl(d, '--json', 'refused').expect(cu.OK).json()
    h.check_eq([(e['client'], e['status'], e['history']) for e in j],
        [(nowhere, 404, True), (private, 403, True)], 'refused --json')

    empty = setup(ctx, 'empty')
    h.check_eq(cu.ctl(empty, 'refused').expect(cu.OK).out, 'no refusals kept\n', 'none kept')
    cu.ctl(ctx.path('none.sock'), 'refused').expect(cu.UNREACHABLE)

    proc = cu.start_ctl(ctx, d, '--json', 'watch', '--history')
    seen = [proc.next_json(10) for _ in range(3)]
    h.check_eq([(e['type'], e.get('history')) for e in seen], [('upgrade.rejected', True),
        ('upgrade.rejected', True), ('connection.closed', True)], 'watch --history')
    live = refuse(d)
    ev = proc.next_json(10)
    h.check_eq((ev['client'], 'history' in ev), (live, False), 'then live')

    text = cu.start_ctl(ctx, d, 'watch', '--history')
    first = text.next(10)
    h.check(re.search(r' upgrade\.rejected +client=%s listener=plain status=404 ' %
        re.escape(nowhere), first), 'watch --history line: %r' % first)


suite.run()
