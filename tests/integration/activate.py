#!/usr/bin/python3
"""activate.py FD[,FD...] [COUNT] -- PROGRAM [ARG...]: systemd's socket activation, by hand.

Moves the inherited listening sockets FD... to 3, 4, ... in their order, sets
LISTEN_FDS to their count and LISTEN_PID to this process (which PROGRAM
becomes), and execs PROGRAM: what systemd does for a service with a .socket unit.
With COUNT, LISTEN_FDS says COUNT instead: a launcher that miscounts.
"""

import os
import sys


def main(argv):
    count = None
    if len(argv) > 3 and argv[3] == '--':
        count = int(argv.pop(2))
    if len(argv) < 4 or argv[2] != '--':
        sys.exit('usage: activate.py FD[,FD...] [COUNT] -- PROGRAM [ARG...]')
    fds = [int(x) for x in argv[1].split(',')]
    # out of the way first: a socket may already sit where another must go
    high = [os.dup(fd) for fd in fds]
    for fd in fds:
        os.close(fd)
    for i, fd in enumerate(high):
        os.dup2(fd, 3 + i, inheritable=True)
        os.close(fd)
    env = dict(os.environ, LISTEN_FDS=str(len(fds) if count is None else count), LISTEN_PID=str(os.getpid()))
    os.execve(argv[3], argv[3:], env)


main(sys.argv)
