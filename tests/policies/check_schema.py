#!/usr/bin/python3
"""Validates policies against data/policy.schema.json and prints TAP.

- the schema itself is a valid draft 2020-12 schema;
- data/policy.example.json and every valid/*.json conform to it;
- every invalid/*.json that is a pure schema violation fails it. The few
  fixtures whose errors only switchboardd's own checks can see (duplicate
  names, unknown listener references, unreadable files, CIDR host bits...)
  are listed in invalid/schema-passes.txt, and must conform to the schema,
  which keeps that list honest. Fixtures that are not JSON pass here as
  such: the schema has nothing to say about them, and check_fixtures.py
  checks that switchboardd refuses them.
"""
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.lines = []

    def result(self, ok, name, detail=None):
        self.n += 1
        self.lines.append('%s %d - %s' % ('ok' if ok else 'not ok', self.n, name))
        if detail:
            self.lines.extend('# ' + d for d in detail.splitlines())
        if not ok:
            self.failed += 1

    def finish(self):
        print('1..%d' % self.n)
        print('\n'.join(self.lines))
        return 1 if self.failed else 0


def load(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def errors_of(validator, doc):
    return ['%s: %s' % ('/'.join(str(p) for p in e.absolute_path) or '(document)', e.message)
            for e in validator.iter_errors(doc)]


def main():
    tap = Tap()
    schema_file = os.path.join(ROOT, 'data', 'policy.schema.json')
    schema = load(schema_file)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        tap.result(True, 'data/policy.schema.json is a valid draft 2020-12 schema')
    except jsonschema.SchemaError as e:
        tap.result(False, 'data/policy.schema.json is a valid draft 2020-12 schema', str(e))
        return tap.finish()
    validator = jsonschema.Draft202012Validator(schema)

    conforming = [os.path.join(ROOT, 'data', 'policy.example.json')]
    valid_dir = os.path.join(HERE, 'valid')
    conforming += [os.path.join(valid_dir, n) for n in sorted(os.listdir(valid_dir))
                   if n.endswith('.json')]
    for path in conforming:
        name = os.path.relpath(path, ROOT)
        errors = errors_of(validator, load(path))
        tap.result(not errors, name + ' conforms', '\n'.join(errors))

    invalid_dir = os.path.join(HERE, 'invalid')
    with open(os.path.join(invalid_dir, 'schema-passes.txt'), encoding='utf-8') as f:
        passes = {line.strip() for line in f
                  if line.strip() and not line.startswith('#')}
    names = sorted(n for n in os.listdir(invalid_dir) if n.endswith('.json'))
    for stale in sorted(passes - set(names)):
        tap.result(False, 'invalid/schema-passes.txt: %s is no fixture' % stale)
    for n in names:
        name = 'tests/policies/invalid/' + n
        try:
            doc = load(os.path.join(invalid_dir, n))
        except ValueError:
            tap.result(True, name + ' is not JSON: no schema check (check_fixtures.py has it)')
            continue
        errors = errors_of(validator, doc)
        if n in passes:
            tap.result(not errors, name + ' conforms (only --check sees its errors)',
                       '\n'.join(errors))
        else:
            tap.result(bool(errors), name + ' violates the schema',
                       None if errors else 'the schema accepts it: tighten the schema, '
                       'or list it in invalid/schema-passes.txt')
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
