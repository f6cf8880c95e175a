"""TAP for the checks in this folder: results are kept, then printed with the plan;
a failure's detail follows it as # lines."""


class Tap:
    def __init__(self):
        self.results = []

    def result(self, ok, name, detail=''):
        self.results.append(('ok' if ok else 'not ok', name, detail))

    def skip(self, name, why):
        self.results.append(('ok', name + ' # SKIP ' + why, ''))

    def finish(self):
        print('1..%d' % len(self.results))
        for i, (status, name, detail) in enumerate(self.results, 1):
            print('%s %d - %s' % (status, i, name))
            for line in (str(detail).splitlines() if status != 'ok' else ()):
                print('# ' + line)
        return 0 if all(r[0] == 'ok' for r in self.results) else 1
