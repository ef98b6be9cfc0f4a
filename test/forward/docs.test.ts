import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { CHANNEL_KINDS, POLICY } from '../../src/forward/policy.js';

/** docs/protocol.md's "Channel kinds" table says what the policy table does, row by row. */
const protocol = readFileSync(fileURLToPath(new URL('../../docs/protocol.md', import.meta.url)), 'utf8');
const section = protocol.slice(protocol.indexOf('## Channel kinds'), protocol.indexOf('## Error codes'));

test.each(CHANNEL_KINDS)('the protocol doc describes %s as the policy table has it', (kind) => {
  const row = section.split('\n').find((line) => line.startsWith(`| \`${kind}\` |`));
  expect(row, `no row for ${kind}`).toBeDefined();
  const cells = row!.split(' | ');
  const { opener, switches, rate } = POLICY[kind];
  expect(cells[1]).toBe(opener);
  for (const name of switches) expect(cells[4]).toContain(`\`${name}\``);
  const per = rate.perMs === 1_000 && rate.opens > 1 ? `${rate.opens}/s` : rate.perMs === 1_000 ? '1/s' : `${rate.opens} per ${rate.perMs / 1_000} s`;
  expect(cells[5]).toBe(`${rate.burst}, then ${per} |`);
});
