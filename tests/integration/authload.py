"""authload.py - bcrypt-protected upgrades in bulk next to a witness echo tunnel: the
pieces test_auth_load.py and tests/bench/bench_auth.py share."""

import base64
import shutil
import subprocess
import time

import harness as h


def bcrypt_line(user, password, cost):
    """The htpasswd line for user, made by `htpasswd -B -C cost`."""
    if not shutil.which('htpasswd'):
        raise h.Skip('htpasswd is missing (apache2-utils)')
    return subprocess.run(['htpasswd', '-nbB', '-C', str(cost), user, password], check=True,
                          capture_output=True, text=True).stdout.strip()


def basic(user, password):
    return [('Authorization', 'Basic ' + base64.b64encode(
        ('%s:%s' % (user, password)).encode()).decode())]


def load(connect, port, path, user, passwords, statuses, errors):
    """One upgrade at a time to path, one for each of passwords as user's Basic credential:
    each answer's status goes to statuses; the first thing that goes wrong to errors, and
    then it stops. connect(port) gives a connection (a Context's or harness.connect)."""
    done = 0
    try:
        for password in passwords:
            conn = connect(port)
            try:
                statuses.append(h.upgrade(conn, path=path, headers=basic(user, password)).status)
            finally:
                conn.close()
            done += 1
    except Exception as e:  # noqa: BLE001 (reported by the caller, in this client's words)
        errors.append('after %d upgrades: %r' % (done, e))


def witness_rtts(conn, payload, busy, interval, limit=1000000):
    """Round trips of payload through the echo tunnel conn, interval s apart, while busy()
    is true (at most limit of them): their times in seconds, in order."""
    rtts = []
    for _ in range(limit):
        if not busy():
            break
        start = time.monotonic()
        conn.sendall(payload)
        h.check_eq(conn.recv_exact(len(payload)), payload, 'witness echo during the load')
        rtts.append(time.monotonic() - start)
        time.sleep(interval)
    return rtts


def percentile(ordered, q):
    """The q-quantile (0..1) of the sorted, non-empty list ordered."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]
