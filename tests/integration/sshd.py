#!/usr/bin/python3
"""A throwaway sshd for tests that reach a daemon through ssh:// (test_ssh.py, the app's
test-remote): on a free loopback port, a fresh host key, one authorized key (client) and one
that is not (stranger); PATH on the far side starts with the build's daemon/ folder."""

import os
import shutil
import signal
import subprocess

import harness as h

SSHD = '/usr/sbin/sshd'


class Sshd:
    """sshd -D -e on a free port; PATH there starts with the build's daemon/ folder."""

    def __init__(self, ctx):
        if not os.path.exists(SSHD) or shutil.which('ssh') is None:
            raise h.Skip('sshd or ssh not installed (openssh-server, openssh-client)')
        self.ctx, self.dir = ctx, ctx.path('ssh')
        os.makedirs(self.dir, exist_ok=True)
        os.makedirs('/run/sshd', exist_ok=True)
        self.port = h.free_port()
        for name in ('host', 'client', 'stranger'):
            subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f',
                self.file(name)], check=True, timeout=30)
        with open(self.file('authorized_keys'), 'w') as f:
            f.write(open(self.file('client.pub')).read())
        path = '%s:/usr/bin:/bin' % os.path.join(h.build_root(), 'daemon')
        with open(self.file('sshd_config'), 'w') as f:
            f.write('Port %d\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\n'
                'PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n'
                'StrictModes no\nPermitRootLogin prohibit-password\nPidFile none\n'
                'SetEnv PATH=%s\n' % (self.port, self.file('host'),
                    self.file('authorized_keys'), path))
        with open(self.file('known_hosts'), 'w') as f:
            f.write('[127.0.0.1]:%d %s' % (self.port, open(self.file('host.pub')).read()))
        self.start()

    def file(self, name):
        return os.path.join(self.dir, name)

    def start(self):
        self.proc = self.ctx.process([SSHD, '-D', '-e', '-f', self.file('sshd_config')],
            'sshd', port=self.port)

    def stop_all(self):
        """Stops sshd and every session it carries, as when the host goes away: each
        session's sshd leads a process group of its own, out of reach of proc.stop().
        Stopped first, so that none says goodbye (an exit status, a close) while the
        others die: the client sees its connection just end."""
        sessions = descendants(self.proc.proc.pid)
        signal_all(sessions, signal.SIGSTOP)
        self.proc.stop()
        signal_all(sessions, signal.SIGKILL)

    def freeze_sessions(self):
        """The sessions stop answering without closing, as over a network that drops;
        sshd itself still takes new ones."""
        signal_all(descendants(self.proc.proc.pid), signal.SIGSTOP)

    def thaw_sessions(self):
        signal_all(descendants(self.proc.proc.pid), signal.SIGCONT)

    def ssh_program(self, key='client'):
        """An ssh that uses this test's key and known_hosts (ssh ignores $HOME)."""
        wrapper = self.file('ssh-' + key)
        with open(wrapper, 'w') as f:
            f.write('#!/bin/sh\nexec ssh -F none -i %s -o IdentitiesOnly=yes '
                '-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes "$@"\n' % (
                    self.file(key), self.file('known_hosts')))
        os.chmod(wrapper, 0o755)
        return wrapper

    def url(self, d):
        return 'ssh://root@127.0.0.1:%d%s' % (self.port, d.control)


def signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass  # gone meanwhile


def descendants(pid):
    """The processes below pid (children, their children...), read from /proc."""
    parent = {}
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                with open('/proc/%s/stat' % name) as f:
                    # pid (comm) state ppid ...: comm may hold spaces and parentheses
                    parent[int(name)] = int(f.read().rsplit(')', 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass  # gone meanwhile
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        found += kids
        todo += kids
    return found
