#!/usr/bin/python3
"""Who may use the control socket: a client whose SO_PEERCRED cannot be read is refused (it
used to pass as uid 0), descriptors a client sends (SCM_RIGHTS) never reach the daemon, and
another user who fills every client slot does not lock out root or the daemon's own uid. Run
as root (CI does): the slots are filled as uid 65534."""

import array
import os
import socket
import subprocess
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import preload  # noqa: E402

suite = h.Suite('control socket peers')

MAX_CLIENTS = 1024   # the daemon's cap for clients other than root and its own uid
OTHER_UID = 65534


def plain_policy(**control):
    pol = h.policy([h.plain_listener('plain', h.free_port())],
        [h.route('echo', 'builtin:echo', path='/echo')])
    if control:
        pol['control'] = control
    return pol


def first_line(path):
    """Connects, sends a status request and returns the daemon's first line (b'' on EOF)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(h.scaled(10))
    try:
        s.connect(path)
        try:
            s.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "status"}\n')
        except OSError:
            pass  # refused and closed before the request: its answer is still to be read
        buf = b''
        while b'\n' not in buf:
            d = s.recv(65536)
            if not d:
                break
            buf += d
        return buf.split(b'\n', 1)[0]
    finally:
        s.close()


@suite.case('a client whose credentials cannot be read is refused, not taken for root')
def _(t):
    d = t.daemon(plain_policy(allow_uids=[]), start=False)
    preload.start(d, 'peercred')
    line = first_line(d.control)
    h.check(b'"result"' not in line, 'a client with unknown credentials was served: %r' % line)
    h.check_in(b'credentials cannot be read', line, 'the refusal')
    d.wait_log(r'control: refused a client: SO_PEERCRED')
    d.stop()


def open_files(pid):
    """What each of a process's descriptors stands for (one closed while listed is left out)."""
    found = []
    for fd in os.listdir('/proc/%d/fd' % pid):
        try:
            found.append(os.readlink('/proc/%d/fd/%s' % (pid, fd)))
        except FileNotFoundError:
            pass
    return found


def steady_files(pid):
    """open_files, once two looks 0.1 s apart find as many."""
    last = open_files(pid)

    def again():
        nonlocal last
        prev, last = last, open_files(pid)
        return last if len(prev) == len(last) else None
    return h.wait_for(again, 10, 'a steady count of descriptors', interval=0.1)


@suite.case('descriptors a client sends with its requests are not received: none stays open')
def _(t):
    d = t.daemon(plain_policy())
    # The start-up check's connection to the listener may still be closing: count once it is.
    ctl = t.control(d)
    h.wait_for(lambda: ctl.call('status')['counters']['connections'] == 0, 10,
        'no connection left open')
    before = steady_files(d.proc.pid)
    passed = [os.open(os.devnull, os.O_RDONLY) for _ in range(64)]
    t.on_cleanup(lambda: [os.close(fd) for fd in passed])
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    t.on_cleanup(s.close)
    s.settimeout(h.scaled(10))
    s.connect(d.control)
    for i in range(20):
        s.sendmsg([b'{"jsonrpc": "2.0", "id": %d, "method": "status"}\n' % i],
            [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', passed))])
    answers = s.makefile('rb')
    for i in range(20):
        h.check_in(b'"result"', answers.readline(), 'answer %d' % i)
    after = open_files(d.proc.pid)
    h.check_eq(after.count(os.devnull), before.count(os.devnull), 'copies of /dev/null held')
    h.check_eq(len(after), len(before) + 1, 'descriptors: those before and this client\'s')
    answers.close()
    d.stop()


HOLDER = textwrap.dedent('''
    import socket, sys
    path, n = sys.argv[1], int(sys.argv[2])
    held = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        held.append(s)
    print('held', len(held), flush=True)
    sys.stdin.read()
''')


@suite.case('another user holding every client slot does not lock root out', timeout=120)
def _(t):
    if os.geteuid() != 0:
        raise h.Skip('needs root to connect as another uid')
    d = t.daemon(plain_policy(mode='0666'))
    for p in (t.tmp, d.dir):
        os.chmod(p, 0o755)
    # The other user opens every slot and keeps them.
    holder = subprocess.Popen(['prlimit', '--nofile=%d' % (MAX_CLIENTS + 256), '--',
        'setpriv', '--reuid=%d' % OTHER_UID, '--regid=%d' % OTHER_UID, '--clear-groups', '--',
        sys.executable, '-c', HOLDER, d.control, str(MAX_CLIENTS)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stop_holder():
        if holder.poll() is None:
            holder.kill()
        holder.wait(10)
    t.on_cleanup(stop_holder)
    out = holder.stdout.readline()
    h.check_eq(out.strip(), 'held %d' % MAX_CLIENTS, 'the other user\'s clients (stderr: %s)' %
        (holder.stderr.read() if holder.poll() is not None else ''))
    h.wait_for(lambda: d.log_text().count('control: client uid %d' % OTHER_UID) >= MAX_CLIENTS,
        20, 'the daemon to take the %d clients' % MAX_CLIENTS)

    # One more of theirs is over the cap; root still gets its answer.
    line = subprocess.run(['setpriv', '--reuid=%d' % OTHER_UID, '--regid=%d' % OTHER_UID,
        '--clear-groups', '--', sys.executable, '-c',
        'import socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(10); '
        's.connect(sys.argv[1]); print(s.recv(4096).decode())', d.control],
        capture_output=True, text=True, timeout=h.scaled(30)).stdout
    h.check_in('too many control clients', line, 'answer to one client too many')
    st = t.control(d).call('status')
    h.check('counters' in st, 'root\'s status while the other user holds every slot')
    holder.stdin.close()
    holder.wait(h.scaled(10))
    d.stop()


suite.run()
