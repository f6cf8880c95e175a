#!/usr/bin/python3
"""The shape of the source tree, checked: include circles, layers, file sizes.

A module is a .c file with its .h (and its -private.h). Counting the quoted
#include lines between modules, no circle in daemon/ may hold more than 3
modules and none in gui/ more than 2; daemon/io and daemon/proto include
nothing of the daemon above them, daemon/state only those two, and
switchboardctl (daemon/ctl) nothing of the running daemon. No C file grows
past 700 lines. TAP output, one test per rule.
"""
import os
import re
import sys

ROOT = os.environ.get('SB_SOURCE_ROOT') or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
MAX_LINES = 700

results = []


def report(ok, name, details=()):
    results.append((ok, name, list(details)))


def sources(folder):
    for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
        for f in sorted(files):
            if f.endswith(('.c', '.h')):
                yield os.path.join(dirpath, f)


def module_of(path):
    base = os.path.basename(path).rsplit('.', 1)[0]
    return base[:-len('-private')] if base.endswith('-private') else base


def includes(path):
    with open(path, encoding='utf-8') as f:
        return [os.path.basename(i) for i in INCLUDE.findall(f.read())]


def graph(folder):
    files = list(sources(folder))
    known = {os.path.basename(p): p for p in files}
    edges = {}
    for p in files:
        m = module_of(p)
        edges.setdefault(m, set())
        for inc in includes(p):
            if inc in known and module_of(known[inc]) != m:
                edges[m].add(module_of(known[inc]))
    return edges


def circles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def check_circles(folder, limit):
    if not os.path.isdir(os.path.join(ROOT, folder)):
        return
    big = [c for c in circles(graph(folder)) if len(c) > limit]
    report(not big, '%s/: no include circle of more than %d modules' % (folder, limit),
           ['circle: ' + ' -> '.join(c) for c in big])


def check_layer(folder, allowed, what):
    """Files in folder include only headers of common/ and of the allowed daemon folders."""
    own = {}
    for f in ('common',) + tuple('daemon/' + a for a in allowed):
        for p in sources(f):
            own[os.path.basename(p)] = f
    daemon = {os.path.basename(p) for p in sources('daemon')}
    bad = []
    for p in sources(folder):
        for inc in includes(p):
            if inc in daemon and inc not in own:
                bad.append('%s includes %s' % (os.path.relpath(p, ROOT), inc))
    report(not bad, '%s: %s' % (folder, what), bad)


def check_sizes(folders):
    big = []
    for folder in folders:
        for p in sources(folder):
            with open(p, encoding='utf-8') as f:
                n = sum(1 for _ in f)
            if n > MAX_LINES:
                big.append('%s: %d lines' % (os.path.relpath(p, ROOT), n))
    report(not big, 'no C file over %d lines' % MAX_LINES, big)


check_circles('daemon', 3)
check_circles('gui', 2)
check_layer('daemon/proto', ('proto',), 'pure codecs include only common/ and proto/')
check_layer('daemon/io', ('io',), 'io/ includes only common/ and io/')
check_layer('daemon/state', ('io', 'proto', 'state'), 'state/ includes only io/, proto/, state/')
check_layer('daemon/tunnel', ('io', 'proto', 'state', 'tunnel', 'http'),
            'the tunnel knows nothing of the front, the control socket or the root')
check_layer('daemon/ctl', ('proto', 'ctl'), 'switchboardctl includes nothing of the running daemon')
check_sizes(('common', 'daemon', 'gui'))

print('1..%d' % len(results))
for i, (ok, name, details) in enumerate(results, 1):
    print('%s %d - %s' % ('ok' if ok else 'not ok', i, name))
    for d in details:
        print('# ' + d)
sys.exit(0 if all(ok for ok, _, _ in results) else 1)
