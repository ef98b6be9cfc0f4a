import { expect, test } from 'vitest';
import { splitCommandLine } from '../../../src/forward/open/command-line.js';

test.each([
  ['firefox', ['firefox']],
  ['  firefox   --new-tab ', ['firefox', '--new-tab']],
  ["'/opt/My Browser/run' -x", ['/opt/My Browser/run', '-x']],
  ['"a \\"b\\" c" d\\ e', ['a "b" c', 'd e']],
  ["echo '$HOME' `id` ; rm", ['echo', '$HOME', '`id`', ';', 'rm']],
  ["''", ['']],
])('splits %j without a shell', (line, argv) => {
  expect(splitCommandLine(line)).toEqual(argv);
});

test.each(['', '   ', "a 'b", 'a "b'])('refuses %j with a message about open-command', (line) => {
  expect(() => splitCommandLine(line)).toThrow(/open-command/);
});
