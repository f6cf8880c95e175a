#!/usr/bin/env python3
"""Writes a C file defining NAME as the bytes of INPUT, NUL-terminated."""
import sys

src, dst, name = sys.argv[1:4]
data = open(src, 'rb').read()
with open(dst, 'w') as out:
    out.write('/* generated from %s; do not edit */\n#include <stddef.h>\n' % src.split('/')[-1])
    out.write('const char %s[] = {\n' % name)
    for i in range(0, len(data), 16):
        out.write('  ' + ''.join('0x%02x, ' % b for b in data[i:i + 16]) + '\n')
    out.write('  0x00\n};\nconst size_t %s_len = %d;\n' % (name, len(data)))
