#!/usr/bin/python3
"""The apply preview: policy.validate names the live tunnels applying would close and those
it would keep unadmitted, exactly those apply then closes; switchboardctl policy apply says
so and asks first (--yes, a terminal, or a refusal)."""

import copy
import json
import os
import pty
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlutil as cu  # noqa: E402
import harness as h  # noqa: E402

suite = h.Suite('preview')


def setup(ctx):
    """Routes gone (close, keep), narrowed (close), and unchanged, each with a tunnel or two."""
    echo = ctx.backend(h.EchoBackend)
    port = h.free_port()
    p = h.policy([h.plain_listener('plain', port)],
        [h.route('gone-close', echo, path='/gc', on_policy_change='close'),
         h.route('gone-keep', echo, path='/gk'),
         h.route('narrowed', echo, path='/nr', on_policy_change='close'),
         h.route('stays', echo, path='/st', on_policy_change='close')])
    d = ctx.daemon(p)
    d.port, d.p = port, p
    ctl = ctx.control(d)
    ids = {}
    for path, n in (('/gc', 2), ('/gk', 1), ('/nr', 1), ('/st', 1)):
        for _ in range(n):
            ctx.tunnel(port, path)
    h.wait_for(lambda: len(ctl.call('connections.list')) == 5, 5, '5 tunnels')
    for c in ctl.call('connections.list'):
        ids.setdefault(c['route'], []).append(c['id'])
    new = copy.deepcopy(p)
    new['routes'] = [r for r in new['routes'] if not r['name'].startswith('gone-')]
    new['routes'][0]['allow'] = ['10.0.0.0/8']
    return d, ctl, ids, new


@suite.case('policy.validate lists what apply then closes, and what it keeps unadmitted')
def wire(ctx):
    d, ctl, ids, new = setup(ctx)
    r = ctl.call('policy.validate', {'policy': new})
    h.check_eq(r['valid'], True, 'valid')
    would_close = sorted(ids['gone-close'] + ids['narrowed'])
    h.check_eq(sorted(r['would_close']), would_close, 'would_close')
    h.check_eq(r['would_keep'], ids['gone-keep'], 'would_keep')
    # validating changed nothing
    h.check_eq(len(ctl.call('connections.list')), 5, 'tunnels after validate')
    # the running policy itself closes and keeps nothing
    same = ctl.call('policy.validate', {'policy': d.p})
    h.check_eq((same['would_close'], same['would_keep']), ([], []), 'the running policy')

    ctl.call('events.subscribe')
    ctl.call('policy.apply', {'policy': new})
    closed = sorted(ctl.wait_event('connection.closed', 5)['id'] for _ in would_close)
    h.check_eq(closed, would_close, 'closed by apply')
    want = sorted(ids['gone-keep'] + ids['stays'])
    h.wait_for(lambda: sorted(c['id'] for c in ctl.call('connections.list')) == want, 5,
        'tunnels left: %r' % want)


@suite.case('switchboardctl policy apply: the preview, --yes, a refusal off a terminal')
def cli(ctx):
    d, ctl, ids, new = setup(ctx)
    path = ctx.path('new.json')
    with open(path, 'w') as f:
        json.dump(new, f)
    # no terminal, no --yes: nothing applied
    r = cu.ctl(d, 'policy', 'apply', path).expect(cu.REFUSED)
    h.check(re.search(r'^Applying closes 3 connections: ', r.out, re.M), 'preview: %r' % r.out)
    for cid in ids['gone-close'] + ids['narrowed']:
        h.check(re.search(r'\b%d \(route (gone-close|narrowed), 127\.0\.0\.1:\d+\)' % cid, r.out),
            'connection %d in the preview: %r' % (cid, r.out))
    h.check(re.search(r'^Keeps 1 connection the new policy no longer admits '
        r'\(on_policy_change keep\): %d \(route gone-keep, ' % ids['gone-keep'][0], r.out, re.M),
        'kept in the preview: %r' % r.out)
    h.check_in('confirm on a terminal, or pass --yes', r.err, 'refusal')
    h.check_eq(ctl.call('status')['revision'], 1, 'revision after the refusal')
    h.check_eq(len(ctl.call('connections.list')), 5, 'tunnels after the refusal')

    # on a terminal: "n" keeps it all, "y" applies
    def on_terminal(answer):
        master, slave = pty.openpty()
        proc = subprocess.Popen([cu.ctl_path(), '--socket', d.control, 'policy', 'apply', path,
            '--no-persist'], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        os.close(slave)
        os.write(master, answer.encode() + b'\n')
        out, err = proc.communicate(timeout=30)
        os.close(master)
        return proc.returncode, out, err
    rc, out, err = on_terminal('n')
    h.check_eq(rc, cu.REFUSED, 'answer n: exit (%s)' % err)
    h.check_in('Apply? [y/N]', err, 'the question')
    h.check_eq(ctl.call('status')['revision'], 1, 'revision after n')
    rc, out, err = on_terminal('y')
    h.check_eq(rc, cu.OK, 'answer y: exit (%s)' % err)
    h.check_in('applied: revision 2', out, 'applied')
    h.wait_for(lambda: len(ctl.call('connections.list')) == 2, 5, 'two tunnels left')

    # nothing to close: no question
    r = cu.ctl(d, 'policy', 'apply', path, '--no-persist').expect(cu.OK)
    h.check('Applying closes' not in r.out, 'no preview when nothing closes: %r' % r.out)
    h.check_in('Keeps 1 connection', r.out, 'still kept')


@suite.case('switchboardctl policy apply --yes applies without asking')
def yes(ctx):
    d, ctl, ids, new = setup(ctx)
    path = ctx.path('new.json')
    with open(path, 'w') as f:
        json.dump(new, f)
    r = cu.ctl(d, 'policy', 'apply', path, '--yes', '--no-persist').expect(cu.OK)
    h.check(re.search(r'^Applying closes 3 connections: .*\napplied: revision 2', r.out, re.M),
        'output: %r' % r.out)
    j = cu.ctl(d, '--json', 'policy', 'apply', path, '--yes', '--no-persist').expect(cu.OK)
    h.check_eq(j.json()['revision'], 3, '--json stdout is the answer alone')


suite.run()
