#!/usr/bin/python3
"""The policy's "metrics" address serves GET /metrics in the Prometheus text format."""

import os
import re
import signal
import socket
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('metrics')

LABEL = r'[a-z_]+="(?:[^"\\\n]|\\.)*"'
SAMPLE = re.compile(r'^(switchboard_[a-z_]+)(\{%s(?:,%s)*\})? ([0-9]+)$' % (LABEL, LABEL))


def scrape(port):
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port, timeout=5) as r:
        h.check_eq(r.status, 200, 'GET /metrics status')
        h.check_in('text/plain', r.headers.get('Content-Type', ''), 'content type')
        text = r.read().decode()
    samples = {}
    for line in text.splitlines():
        if line.startswith('# HELP switchboard_') or line.startswith('# TYPE switchboard_'):
            continue
        m = SAMPLE.match(line)
        h.check(m is not None, 'a sample line in the text format: %r' % line)
        samples[m.group(1) + (m.group(2) or '')] = int(m.group(3))
    return samples


@suite.case('counters, gauges and per-route figures follow tunnels and refusals')
def _(t):
    echo = t.backend(h.EchoBackend)
    port, mport = h.free_port(), h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('echo', echo, path='/echo')], metrics='127.0.0.1:%d' % mport))
    before = scrape(mport)
    h.check_eq(before['switchboard_tunnels'], 0, 'no tunnel yet')
    h.check_eq(before['switchboard_policy_revision'], 1, 'revision')
    conn = t.tunnel(port, '/echo')
    conn.sendall(b'0123456789')
    h.check_eq(conn.recv_exact(10), b'0123456789', 'echo')
    refused = h.upgrade(t.connect(port), '/nowhere')
    h.check_eq(refused.status, 404, 'a refusal')
    now = scrape(mport)
    h.check_eq(now['switchboard_tunnels'], 1, 'one tunnel open')
    h.check_eq(now['switchboard_upgrades_total'], 1, 'one upgrade')
    h.check(now['switchboard_rejected_total'] >= 1, 'the refusal counted')
    h.check_eq(now['switchboard_bytes_up_total'], 10, 'bytes up')
    h.check_eq(now['switchboard_bytes_down_total'], 10, 'bytes down')
    h.check_eq(now['switchboard_route_active_connections{route="echo"}'], 1, 'route gauge')
    h.check_eq(now['switchboard_route_upgrades_total{route="echo"}'], 1, 'route counter')
    conn.close()
    h.wait_for(lambda: scrape(mport)['switchboard_tunnels'] == 0, 5, 'the tunnel to close')
    try:
        urllib.request.urlopen('http://127.0.0.1:%d/other' % mport, timeout=5)
        raise h.Fail('GET /other answered 200')
    except urllib.error.HTTPError as e:
        h.check_eq(e.code, 404, 'another path')
    d.stop()


@suite.case('a reload moves the metrics endpoint; one that cannot be had is logged, traffic flows')
def _(t):
    echo = t.backend(h.EchoBackend)
    port, m1, m2 = h.free_port(), h.free_port(), h.free_port()
    routes = [h.route('echo', echo, path='/echo')]
    d = t.daemon(h.policy([h.plain_listener('plain', port)], routes,
        metrics='127.0.0.1:%d' % m1))
    scrape(m1)
    mark = d.log_size()
    d.write_policy(h.policy([h.plain_listener('plain', port)], routes,
        metrics='127.0.0.1:%d' % m2))
    d.signal(signal.SIGHUP)
    d.wait_log('policy revision 2 applied', since=mark)
    h.wait_for(lambda: h.refuses(m1), 5, 'the old metrics port to close')
    h.check_eq(scrape(m2)['switchboard_policy_revision'], 2, 'revision after the reload')
    # An address that cannot be had is logged; the tunnels do not care.
    mark = d.log_size()
    taken = socket.socket()
    taken.bind(('127.0.0.1', 0))
    taken.listen()
    d.write_policy(h.policy([h.plain_listener('plain', port)], routes,
        metrics='127.0.0.1:%d' % taken.getsockname()[1]))
    d.signal(signal.SIGHUP)
    d.wait_log('no metrics until a policy names an address that works', since=mark)
    conn = t.tunnel(port, '/echo')
    conn.sendall(b'ok')
    h.check_eq(conn.recv_exact(2), b'ok', 'traffic after a metrics address that failed')
    taken.close()
    conn.close()
    d.stop()


if __name__ == '__main__':
    suite.run()
