#!/usr/bin/python3
"""Planted state: the daemon refuses a state dir or a control-socket folder that another user
owns or others can write, or that is a symbolic link, with an error naming the folder and what
is wrong (exit 2); a non-root daemon without HOME or XDG_* falls back to folders under /tmp and
refuses them when another user made them first (a planted certificate and key, a folder for
the control socket that its owner could swap); the control socket is never reachable by others
between bind() and chmod(). Run as root (CI does): the cases chown folders to other uids."""

import os
import shutil
import socket
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import preload  # noqa: E402

suite = h.Suite('trusted state and control folders')

DAEMON_UID = 65534      # nobody: the daemon, in the cases that run it as another user
ATTACKER_UID = 65533    # the other local user, who got to /tmp first
UNSET = ('HOME', 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR', 'STATE_DIRECTORY', 'SWITCHBOARD_CONTROL')


def need_root():
    if os.geteuid() != 0:
        raise h.Skip('needs root to create folders owned by other users')


def plain_policy():
    return h.policy([h.plain_listener('plain', h.free_port())],
        [h.route('echo', 'builtin:echo', path='/echo')])


def run(argv, uid=None, timeout=10):
    """Runs the daemon to its exit; (exit code, output). It must not keep running."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    if uid is not None:
        argv = ['setpriv', '--reuid=%d' % uid, '--regid=%d' % uid, '--clear-groups', '--'] + argv
    try:
        r = subprocess.run(argv, capture_output=True, text=True, env=env,
            timeout=h.scaled(timeout), cwd='/')
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b'').decode(errors='replace') + (e.stderr or b'').decode(
            errors='replace')
        raise h.Fail('the daemon still ran after %d s instead of refusing; its output:\n%s' %
            (timeout, out[-3000:]))
    return r.returncode, r.stdout + r.stderr


def expect_refusal(argv, message, uid=None):
    rc, out = run(argv, uid)
    h.check_eq(rc, 2, 'exit code (output: %s)' % out[-1500:])
    h.check_in(message, out, 'the daemon output')


def daemon_argv(t, state_dir=None, control=None, policy=None):
    a = [h.daemon_path(), '--log-level', 'debug']
    if policy is not None:
        path = t.path('policy.json')
        with open(path, 'w') as f:
            h.json.dump(policy, f)
        a += ['--policy', path]
    if state_dir is not None:
        a += ['--state-dir', state_dir]
    a += ['--control', control or t.path('control.sock')]
    return a


def planted_pair(t):
    """A certificate and key the attacker made, and so knows."""
    ca = h.shared_ca()
    return ca.issue('planted.test', dns=['localhost'], name='planted')


def folder(t, name, uid=0, mode=0o700):
    path = t.path(name)
    os.mkdir(path)
    os.chown(path, uid, uid)
    os.chmod(path, mode)
    return path


@suite.case('state dir owned by another user, with a planted certificate: refused')
def _(t):
    need_root()
    t.private_network()  # the default policy binds 127.0.0.1:8443 and :8080
    state = folder(t, 'state', uid=ATTACKER_UID)
    pair = planted_pair(t)
    shutil.copy(pair.cert, os.path.join(state, 'cert.pem'))
    shutil.copy(pair.key, os.path.join(state, 'key.pem'))
    expect_refusal(daemon_argv(t, state_dir=state),
        'state dir %s: owned by uid %d, not 0' % (state, ATTACKER_UID))


@suite.case('state dir writable by others: refused')
def _(t):
    need_root()
    t.private_network()
    state = folder(t, 'state', mode=0o777)
    expect_refusal(daemon_argv(t, state_dir=state),
        'state dir %s: writable by others (mode 0777)' % state)
    state2 = folder(t, 'state2', mode=0o770)
    expect_refusal(daemon_argv(t, state_dir=state2),
        'state dir %s: writable by its group (mode 0770)' % state2)


@suite.case('state dir that is a symbolic link: refused, never followed')
def _(t):
    need_root()
    t.private_network()
    real = folder(t, 'real')
    link = t.path('state')
    os.symlink(real, link)
    expect_refusal(daemon_argv(t, state_dir=link), 'state dir %s: is a symbolic link' % link)
    h.check_eq(os.listdir(real), [], 'what the daemon wrote through the link')


@suite.case('state dir below a folder another user owns: refused, naming that folder')
def _(t):
    need_root()
    t.private_network()
    parent = folder(t, 'theirs', uid=ATTACKER_UID, mode=0o755)
    state = os.path.join(parent, 'state')
    expect_refusal(daemon_argv(t, state_dir=state),
        'state dir %s: %s: owned by uid %d, not 0' % (state, parent, ATTACKER_UID))


@suite.case('control socket folder owned by another user, writable by others, or a link')
def _(t):
    need_root()
    theirs = folder(t, 'theirs', uid=ATTACKER_UID, mode=0o755)
    sock = os.path.join(theirs, 'control.sock')
    expect_refusal(daemon_argv(t, control=sock, policy=plain_policy()),
        'control socket %s: folder %s: owned by uid %d, not 0' % (sock, theirs, ATTACKER_UID))
    h.check(not os.path.exists(sock), 'no socket in the refused folder')

    open_dir = folder(t, 'open', mode=0o1777)
    sock = os.path.join(open_dir, 'control.sock')
    expect_refusal(daemon_argv(t, control=sock, policy=plain_policy()),
        'control socket %s: folder %s: writable by others (mode 1777)' % (sock, open_dir))

    real = folder(t, 'real', mode=0o755)
    link = t.path('link')
    os.symlink(real, link)
    sock = os.path.join(link, 'control.sock')
    expect_refusal(daemon_argv(t, control=sock, policy=plain_policy()),
        'control socket %s: folder %s: is a symbolic link' % (sock, link))
    h.check_eq(os.listdir(real), [], 'what the daemon made through the link')


def tmp_fallbacks():
    return ('/tmp/switchboard-state-%d' % DAEMON_UID, '/tmp/switchboard-%d' % DAEMON_UID)


def plant(path, t, mode=0o755):
    """The attacker's folder at a path the daemon falls back to (removed at the end)."""
    if os.path.lexists(path):
        shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else \
            os.unlink(path)
    os.mkdir(path)
    os.chown(path, ATTACKER_UID, ATTACKER_UID)
    os.chmod(path, mode)
    t.on_cleanup(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


@suite.case('a non-root daemon without HOME or XDG_*: a planted /tmp state dir is refused')
def _(t):
    need_root()
    t.private_network()
    state = plant(tmp_fallbacks()[0], t)
    pair = planted_pair(t)
    for src, name in ((pair.cert, 'cert.pem'), (pair.key, 'key.pem')):
        shutil.copy(src, os.path.join(state, name))
        os.chmod(os.path.join(state, name), 0o644)
    ctl = folder(t, 'ctl', uid=DAEMON_UID)
    os.chmod(t.tmp, 0o755)  # the daemon (nobody) reaches its control folder
    expect_refusal([h.daemon_path(), '--control', os.path.join(ctl, 'control.sock')],
        'state dir %s: owned by uid %d, not %d' % (state, ATTACKER_UID, DAEMON_UID),
        uid=DAEMON_UID)


@suite.case('a non-root daemon without XDG_RUNTIME_DIR: a planted /tmp control folder is '
    'refused')
def _(t):
    need_root()
    # Open to the daemon, so that it makes its socket there; its owner can swap it later.
    theirs = plant(tmp_fallbacks()[1], t, mode=0o777)
    os.chmod(t.tmp, 0o755)
    pol = plain_policy()
    path = t.path('policy.json')
    with open(path, 'w') as f:
        h.json.dump(pol, f)
    os.chmod(path, 0o644)
    log = open(t.path('daemon.log'), 'wb')
    t.on_cleanup(log.close)
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    proc = subprocess.Popen(['setpriv', '--reuid=%d' % DAEMON_UID, '--regid=%d' % DAEMON_UID,
        '--clear-groups', '--', h.daemon_path(), '--policy', path], env=env, cwd='/',
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop():
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    t.on_cleanup(stop)

    def logged():
        with open(t.path('daemon.log'), errors='replace') as f:
            text = f.read()
        return ('ready' in text or proc.poll() is not None) and text
    text = h.wait_for(logged, 10, 'the daemon to start')
    h.check_in('control socket %s/control.sock: folder %s: owned by uid %d, not %d' % (
        theirs, theirs, ATTACKER_UID, DAEMON_UID), text, 'the daemon log')
    h.check(not os.path.exists(os.path.join(theirs, 'control.sock')),
        'the daemon made its control socket in the folder another user owns')


@suite.case('switchboardctl does not talk to a socket in a /tmp folder another user planted')
def _(t):
    need_root()
    theirs = plant(tmp_fallbacks()[1], t)
    # The attacker's "daemon": a socket that answers anything.
    fake = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    fake.bind(os.path.join(theirs, 'control.sock'))
    fake.listen(4)
    t.on_cleanup(fake.close)
    os.chmod(os.path.join(theirs, 'control.sock'), 0o777)
    ctl = os.path.join(h.build_root(), 'daemon', 'switchboardctl')
    rc, out = run([ctl, 'status'], uid=DAEMON_UID)
    h.check_eq(rc, 2, 'exit code (output: %s)' % out)
    h.check_in('control socket folder %s: owned by uid %d, not %d' % (theirs, ATTACKER_UID,
        DAEMON_UID), out, 'what switchboardctl says')
    fake.settimeout(0.2)
    try:
        fake.accept()
        raise h.Fail('switchboardctl connected to the planted socket')
    except socket.timeout:
        pass


@suite.case('the control socket is never open to others between bind and chmod')
def _(t):
    # With its chmod() made to fail, the socket keeps the mode bind() gave it: what others
    # could have used in the window. Under a umask of 0, that was 0777 before.
    d = t.daemon(plain_policy(), start=False)
    old = os.umask(0)
    try:
        preload.start(d, 'sock_chmod')
    finally:
        os.umask(old)
    d.wait_log(r'control socket .*: chmod 0660')
    mode = stat.S_IMODE(os.stat(d.control).st_mode)
    h.check(mode & 0o077 == 0, 'the control socket as bind() made it: mode %04o, open to '
        'others until the chmod' % mode)
    d.stop()


suite.run()
