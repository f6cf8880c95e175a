#!/usr/bin/python3
"""cpu_per_byte.py - what each server spends per byte echoed: CPU time and system calls.

Not a test: it prints figures and asserts nothing about them.

The servers, the backends, the certificate, the pinning and the rows are bench_table.py's
(TLS 1.3, one suite, HAProxy and nginx with 64 KiB buffers by default). Per run the client
(bench-client --load echo) warms up, then for --seconds the server's CPU time (utime + stime
of every thread of every process, /proc/PID/stat) is read at both ends and divided by the
bytes echoed one way in that time (the client's MB/s): milliseconds of server CPU per GiB,
in all and split into user and system time.
Other load on the machine moves MB/s a lot and this figure little. With --what syscalls a
second pass runs under `strace -c -f` (which slows everything, so its CPU is not used) and
divides the server's system calls by the MiB echoed one way, the busiest ones named.

  tests/bench/cpu_per_byte.py [--build DIR] [--runs 3] [--seconds 5] [--warmup 2]
      [--only tls1,tls16,ws16] [--servers switchboardd,haproxy-64k,nginx-64k]
      [--what cpu,syscalls]
"""

import os
import re
import signal
import statistics
import subprocess
import sys
import time

import bench_compare as bc
import bench_table as bt
from bench_compare import h

GIB, MIB = 1 << 30, 1 << 20


def bytes_to_backends(ports):
    """Bytes the backends on ports have received so far on their established connections,
    from the kernel's own count (ss -ti, bytes_received on the backend's side)."""
    out = subprocess.run(['ss', '-tinH', 'state', 'established', '( ' + ' or '.join(
        'sport = :%d' % p for p in ports) + ' )'], capture_output=True, text=True,
        check=True).stdout
    return sum(int(n) for n in re.findall(r'bytes_received:(\d+)', out))


def echo_run(client, server, args, during):
    """One echo run against server; during(server) runs over the measured --seconds and its
    result is returned with the bytes echoed one way in them (those the backends received:
    under strace the client's MB/s would not tell the traced part from the rest)."""
    title, load, extra, http = bt.ROWS[args.row]
    argv = bt.client_argv(server, http) + ['--load', load, '--seconds', str(args.seconds + 1),
        '--warmup', str(args.warmup)] + extra
    proc = subprocess.Popen(bt.on_load_cpu([client] + argv), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    time.sleep(args.warmup)
    n0 = bytes_to_backends(args.backend_ports)
    got = during(server)
    n1 = bytes_to_backends(args.backend_ports)
    out, err = proc.communicate(timeout=120)
    if proc.returncode != 0:
        raise RuntimeError('bench-client %s against %s: %s' % (' '.join(argv), server.label,
            err.strip()))
    return got, n1 - n0


def cpu_during(args):
    """(user, system) CPU seconds the server used over --seconds."""
    def during(server):
        u0, s0 = bc.tree_cpu_split_s(server.pid)
        time.sleep(args.seconds)
        u1, s1 = bc.tree_cpu_split_s(server.pid)
        return u1 - u0, s1 - s0
    return during


def strace_during(args, ctx):
    def during(server):
        out = ctx.path('strace-%s.txt' % server.label)
        pids = bc.tree_pids(server.pid)
        st = subprocess.Popen(['strace', '-c', '-f', '-o', out] + sum((['-p', str(p)]
            for p in pids), []), stderr=subprocess.DEVNULL)
        try:
            h.wait_for(lambda: all('TracerPid:\t%d' % st.pid in open('/proc/%d/status' % p)
                .read() for p in pids), 10, 'strace attached')
            time.sleep(args.seconds)
        finally:
            st.send_signal(signal.SIGINT)
            st.wait(timeout=30)
        calls = {}
        for line in open(out):
            m = re.match(r'\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$', line)
            if m and m.group(2) != 'total':
                calls[m.group(2)] = calls.get(m.group(2), 0) + int(m.group(1))
        return calls
    return during


def main():
    ap = bt.comparison_parser(__doc__, 'switchboardd,haproxy-64k,nginx-64k')
    ap.add_argument('--only', default='tls1,tls16,ws16')
    ap.add_argument('--what', default='cpu,syscalls', help='cpu, syscalls or both')
    args = ap.parse_args()
    rows = args.only.split(',')
    what = args.what.split(',')
    if any(r not in bt.ROWS or bt.ROWS[r][1] != 'echo' for r in rows):
        sys.exit('cpu_per_byte.py: --only: any of %s' % ', '.join(
            r for r in bt.ROWS if bt.ROWS[r][1] == 'echo'))
    if any(w not in ('cpu', 'syscalls') for w in what):
        sys.exit('cpu_per_byte.py: --what: cpu, syscalls')
    bt.comparison_setup(args, 'cpu_per_byte.py')

    ctx = h.Context('cpu-per-byte')
    cpu, sys_calls = {}, {}
    try:
        client = os.environ.get('BENCH_CLIENT') or bc.compile_client(ctx.tmp)
        cert = h.localhost_pair()
        echo_port, upgrade_port = h.free_port(), h.free_port()
        args.backend_ports = (echo_port, upgrade_port)
        ctx.process(bt.on_load_cpu([client, '--echo-server', str(echo_port)]), 'echo',
            port=echo_port)
        ctx.process(bt.on_load_cpu([client, '--upgrade-echo-server', str(upgrade_port)]),
            'upgrade-echo', port=upgrade_port)
        servers = bt.start_servers(ctx, cert, echo_port, upgrade_port, args, 'cpu')
        for s in servers:
            s.check_suite()
            if s.http_tls_port != s.tls_port:
                s.check_suite(s.http_tls_port)
        print('\n'.join(bc.versions()))
        print('TLS 1.3 %s; server on CPU %d, client and backends on CPU %d; load average %s'
            % (args.cipher, bt.PROXY_CPU, bt.LOAD_CPU, bc.load_average()), flush=True)
        for run in range(args.runs if 'cpu' in what else 0):
            for s in bc.rotated(servers, run):
                for args.row in rows:
                    used, nbytes = echo_run(client, s, args, cpu_during(args))
                    cpu.setdefault((args.row, s.label), []).append(
                        tuple(t * 1e3 / (nbytes / GIB) for t in (sum(used),) + used))
        if 'syscalls' in what:
            for s in servers:
                for args.row in rows:
                    calls, nbytes = echo_run(client, s, args, strace_during(args, ctx))
                    sys_calls[(args.row, s.label)] = {k: v / (nbytes / MIB)
                        for k, v in calls.items()}
        for s in servers:
            s.stop()

        labels = args.servers
        print('\n(load average %s at the end)\n' % bc.load_average())
        print('| per GiB echoed (one way) | ' + ' | '.join(labels) + ' |')
        print('|---|' + '---:|' * len(labels))
        for r in rows:
            title = bt.ROWS[r][0].replace(' (MB/s)', '')
            if cpu:
                med = {lb: [statistics.median(run[i] for run in cpu[(r, lb)]) for i in range(3)]
                    for lb in labels}
                print('| %s: server CPU ms, median of %d | %s |' % (title, args.runs,
                    ' | '.join('%.0f' % med[lb][0] for lb in labels)))
                print('| … of which user / system | %s |' % ' | '.join(
                    '%.0f / %.0f' % (med[lb][1], med[lb][2]) for lb in labels))
            if sys_calls:
                print('| … system calls per MiB | %s |' % ' | '.join('%.1f' % sum(
                    sys_calls[(r, lb)].values()) for lb in labels))
        for r in rows if sys_calls else []:
            print('\n%s, system calls per MiB echoed:' % bt.ROWS[r][0].replace(' (MB/s)', ''))
            for lb in labels:
                top = sorted(sys_calls[(r, lb)].items(), key=lambda kv: -kv[1])[:6]
                print('  %-13s %s' % (lb, ', '.join('%s %.1f' % kv for kv in top)))
    finally:
        bc.teardown(ctx)


if __name__ == '__main__':
    main()
