"""preload.py - start switchboardd with sbtest-preload.so (sbtest-preload.c), which makes
calls fail in it that never fail on their own: the failure paths of a real daemon; and
answers its getaddrinfo from a file the test rewrites (hosts=)."""

import os

import harness as h


def env(*failures, hosts=None):
    """
    The environment for the daemon: LD_PRELOAD, SBTEST_FAIL_<NAME>=1 per failure, and
    SBTEST_HOSTS=hosts (a file of lines "NAME ADDRESS..." or "NAME fail") when given.
    """
    lib = os.path.join(h.build_root(), 'tests', 'integration', 'libsbtest-preload.so')
    if not os.path.exists(lib):
        raise h.Fail('no %s: build the tree first' % lib)
    e = {'LD_PRELOAD': lib,
         # a sanitized daemon's runtime would otherwise insist on coming first
         'ASAN_OPTIONS': os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0'}
    e.update({'SBTEST_FAIL_' + f.upper(): '1' for f in failures})
    if hosts is not None:
        e['SBTEST_HOSTS'] = hosts
    return e


def write_hosts(path, lines):
    """Replaces the hosts file at once (a rename): the daemon never reads half of it."""
    with open(path + '.new', 'w') as f:
        f.write(''.join(line + '\n' for line in lines))
    os.replace(path + '.new', path)


def start(d, *failures, hosts=None):
    """Starts the harness daemon d with these calls failing (see sbtest-preload.c)."""
    extra = env(*failures, hosts=hosts)
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        d.start()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
