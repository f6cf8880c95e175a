#!/usr/bin/python3
"""with_sshd.py PROGRAM ARGS...: runs an app test with a throwaway sshd (the one
tests/integration/sshd.py sets up for test_ssh.py). The program finds it through
SWB_TEST_SSH_TARGET (root@127.0.0.1:PORT), SWITCHBOARD_SSH (an ssh with the accepted key)
and SWB_TEST_SSH_STRANGER (one whose key sshd refuses); it stops and starts sshd with a line
"stop" or "start" on the UNIX socket at SWB_TEST_SSHD_CONTROL, answered "ok" once done
("stop" ends the sessions too, as when the host goes away), and "freeze" or "thaw" makes
the sessions stop answering (SIGSTOP) or go on. Without sshd the test is a TAP
skip naming the packages, or a failure where SB_CI says nothing may be missing."""

import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
    'integration'))
import harness as h  # noqa: E402
from sshd import Sshd  # noqa: E402


def serve(sshd, listener):
    """Lines "stop", "start", "freeze", "thaw" from the test, each answered "ok" or "error: why" when done."""
    actions = {'stop': sshd.stop_all, 'start': sshd.start, 'freeze': sshd.freeze_sessions,
        'thaw': sshd.thaw_sessions}
    while True:
        conn, _ = listener.accept()
        with conn, conn.makefile('rw') as f:
            for line in f:
                try:
                    actions[line.strip()]()
                    f.write('ok\n')
                except Exception as e:  # the test shows it and fails
                    f.write('error: %r\n' % e)
                f.flush()


def main():
    ctx = h.Context('app-ssh')
    try:
        try:
            sshd = Sshd(ctx)
        except h.Skip as e:
            if os.environ.get('SB_CI'):
                print('1..1\nnot ok 1 - %s (SB_CI is set: nothing may be missing)' % e)
                return 1
            print('1..0 # SKIP %s' % e)
            return 0
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(ctx.path('sshd-control.sock'))
        listener.listen(1)
        threading.Thread(target=serve, args=(sshd, listener), daemon=True).start()
        env = dict(os.environ, SWB_TEST_SSH_TARGET='root@127.0.0.1:%d' % sshd.port,
            SWITCHBOARD_SSH=sshd.ssh_program(),
            SWB_TEST_SSH_STRANGER=sshd.ssh_program('stranger'),
            SWB_TEST_SSHD_CONTROL=ctx.path('sshd-control.sock'))
        try:
            return subprocess.call(sys.argv[1:], env=env)
        finally:
            sshd.stop_all()  # sessions too, frozen ones included
    finally:
        for problem in ctx.teardown():
            print('# %s' % problem)
        ctx.remove_tmp(False)


if __name__ == '__main__':
    sys.exit(main())
