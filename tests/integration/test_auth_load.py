#!/usr/bin/python3
"""bcrypt never stalls a loop: 400 upgrades (SB_AUTH_LOAD=10000 for the issue's full
count), each with a password never seen before so that every one runs bcrypt, from four
clients at once, while a witness tunnel on the same daemon echoes 32 bytes at a time;
the witness's round trips stay under 50 ms at p99 (scaled by SB_TIME_SCALE). The metrics
show that each upgrade was a bcrypt check.

The cost is 9 (SB_AUTH_COST), about 30 ms a check: one check on a loop would hold the
witness longer than the limit, so the test fails when bcrypt runs on a loop; a lower cost
with more upgrades would take as long and tell less."""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import authload  # noqa: E402
import harness as h  # noqa: E402
import test_metrics  # noqa: E402

suite = h.Suite('auth: bcrypt off the loops')

PASSWORD = 'load-password-7f3c'
CLIENTS = 4
COST = int(os.environ.get('SB_AUTH_COST', '9'))
WITNESS_P99_S = 0.050


@suite.case('bcrypt upgrades from four clients; a witness echo keeps its p99 under 50 ms',
            timeout=240)
def _(t):
    total = int(os.environ.get('SB_AUTH_LOAD', '400'))
    users = t.path('users.htpasswd')
    with open(users, 'w') as f:
        f.write(authload.bcrypt_line('load', PASSWORD, COST) + '\n')
    echo = t.backend(h.EchoBackend)
    port, mport = h.free_port(), h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)], [
        h.route('basic', echo, path='/basic', auth={'basic': users}),
        h.route('witness', echo, path='/witness')], metrics='127.0.0.1:%d' % mport))
    witness = t.tunnel(port, '/witness')
    payload = bytes(range(32))
    witness.sendall(payload)
    h.check_eq(witness.recv_exact(32), payload, 'witness echo before the load')

    statuses, errors = [], []
    per = total // CLIENTS
    threads = [threading.Thread(target=authload.load, args=(
        t.connect, port, '/basic', 'load', ['wrong-%d' % j for j in range(i * per, (i + 1) * per)],
        statuses, errors), daemon=True) for i in range(CLIENTS)]
    for th in threads:
        th.start()
    rtts = authload.witness_rtts(witness, payload, lambda: any(th.is_alive() for th in threads),
                                 0.002)
    for th in threads:
        th.join(h.scaled(60))
    h.check_eq(errors, [], 'load clients')
    h.check_eq(len(statuses), per * CLIENTS, 'answers to the load')
    h.check_eq(sorted(set(statuses)), [401], 'each wrong password refused with 401')

    got = test_metrics.scrape(mport)
    h.check_eq(got.get('switchboard_auth_total{method="basic",result="refused"}'),
               per * CLIENTS, 'bcrypt checks refused (none answered from the cache)')
    h.check_eq(got.get('switchboard_auth_busy_total'), 0, 'no 503 for a full check queue')
    works = t.connect(port)
    h.check_eq(h.upgrade(works, path='/basic', headers=authload.basic('load', PASSWORD)).status,
               101, 'the right password after the load')
    works.close()

    h.check(len(rtts) >= 20, 'witness samples during the load: %d' % len(rtts))
    rtts.sort()
    p99 = authload.percentile(rtts, 0.99)
    sys.stderr.write('%d bcrypt upgrades; witness: %d round trips, p50 %.1f ms, p99 %.1f ms, '
                     'max %.1f ms\n' % (per * CLIENTS, len(rtts), rtts[len(rtts) // 2] * 1000,
                                         p99 * 1000, rtts[-1] * 1000))
    h.check(p99 < h.scaled(WITNESS_P99_S), 'witness p99 %.1f ms, limit %.0f ms' % (
        p99 * 1000, h.scaled(WITNESS_P99_S) * 1000))
    witness.close()
    d.stop()


if __name__ == '__main__':
    suite.run()
