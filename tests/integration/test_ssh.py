#!/usr/bin/python3
"""switchboardctl --socket ssh://...: a real sshd on 127.0.0.1, a throwaway host key and an
authorized key; status, connections, watch and policy apply through it; ssh's own text for a
refused key; exit 2 with the reason when sshd is gone."""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlutil as cu  # noqa: E402
import harness as h  # noqa: E402
from sshd import Sshd  # noqa: E402

suite = h.Suite('ssh')

def ctl(sshd, d, *args, key='client', input=None):
    env = dict(os.environ, SWITCHBOARD_SSH=sshd.ssh_program(key))
    argv = [cu.ctl_path(), '--socket', sshd.url(d)] + list(args)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env,
        input=input, stdin=None if input is not None else subprocess.DEVNULL)
    return cu.Result(argv, p)


def setup(ctx):
    echo = ctx.backend(h.EchoBackend)
    port = h.free_port()
    p = h.policy([h.plain_listener('plain', port)],
        [h.route('echo', echo, path='/echo'), h.route('old', echo, path='/old',
            on_policy_change='close')])
    d = ctx.daemon(p)
    d.port, d.p = port, p
    return d, Sshd(ctx)


@suite.case('status, connections, watch and policy apply through ssh://')
def through_ssh(ctx):
    d, sshd = setup(ctx)
    r = ctl(sshd, d, 'status').expect(cu.OK)
    h.check(re.match(r'switchboardd \S+, up \d+s\n', r.out), 'status: %r' % r.out)
    h.check_eq(ctl(sshd, d, '--json', 'status').expect(cu.OK).json()['revision'], 1, 'revision')

    conn = ctx.tunnel(d.port, '/old')
    j = ctl(sshd, d, '--json', 'connections').expect(cu.OK).json()
    h.check_eq([c['route'] for c in j], ['old'], 'connections over ssh')
    h.check_in(' old ', ctl(sshd, d, 'connections').expect(cu.OK).out, 'the table')

    env = dict(os.environ, SWITCHBOARD_SSH=sshd.ssh_program())
    proc = subprocess.Popen([cu.ctl_path(), '--socket', sshd.url(d), '--json', 'watch',
        '--history'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, env=env)
    lines = cu.Lines(proc)

    def stop():
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
    ctx.on_cleanup(stop)
    h.upgrade(ctx.connect(d.port), '/nowhere')
    ev = lines.until(lambda l: '"upgrade.rejected"' in l, 20, 'a refusal over ssh')
    h.check_eq(json.loads(ev)['status'], 404, 'watched refusal')

    new = dict(d.p, routes=[r for r in d.p['routes'] if r['name'] != 'old'])
    path = ctx.path('new.json')
    with open(path, 'w') as f:
        json.dump(new, f)
    r = ctl(sshd, d, 'policy', 'apply', path, '--no-persist', '--yes').expect(cu.OK)
    h.check(re.search(r'^Applying closes 1 connection: \d+ \(route old, ', r.out, re.M),
        'preview over ssh: %r' % r.out)
    h.check_in('applied: revision 2', r.out, 'apply over ssh')
    conn.wait_eof(10)
    ev = lines.until(lambda l: '"connection.closed"' in l, 20, 'the close over ssh')
    h.check_eq(json.loads(ev)['route'], 'old', 'closed route')


@suite.case('a refused key shows ssh\'s text; a stopped sshd: exit 2 with the reason')
def failures(ctx):
    d, sshd = setup(ctx)
    r = ctl(sshd, d, 'status', key='stranger').expect(cu.UNREACHABLE)
    h.check_in('Permission denied (publickey)', r.err, 'ssh\'s text for a refused key')
    sshd.proc.stop()
    r = ctl(sshd, d, 'status').expect(cu.UNREACHABLE)
    h.check(re.search(r'connect to host 127\.0\.0\.1 port %d: Connection refused' % sshd.port,
        r.err), 'ssh\'s reason when sshd is gone: %r' % r.err)
    bad = ctx.path('nothing-here.sock')
    env = dict(os.environ, SWITCHBOARD_SSH=sshd.ssh_program())
    sshd.start()
    p = subprocess.run([cu.ctl_path(), '--socket', 'ssh://root@127.0.0.1:%d%s' % (sshd.port,
        bad), 'status'], capture_output=True, text=True, timeout=60, env=env,
        stdin=subprocess.DEVNULL)
    h.check_eq(p.returncode, cu.UNREACHABLE, 'no daemon on the far side')
    h.check_in('cannot reach the daemon at %s' % bad, p.stderr, 'relay\'s reason')


suite.run()
