import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { parseConfig } from '../../src/client/config.js';
import { CONNECT_KEYS, HOST_ONLY_KEYS, SESSION_KEYS } from '../../src/client/config-schema.js';
import { tomlValue } from '../../src/client/config-template.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Shell completion'));
const block = /```toml\n([\s\S]*?)```/.exec(section)![1]!;

test('the README documents every config key with its built-in default', () => {
  for (const [key, spec] of [...Object.entries(SESSION_KEYS), ...Object.entries(CONNECT_KEYS)]) {
    expect(block, key).toMatch(new RegExp(`^${key} = ${tomlValue(spec.default).replace(/[[\]]/g, '\\$&')} +#`, 'm'));
  }
  for (const key of Object.keys(HOST_ONLY_KEYS)) expect(block).toMatch(new RegExp(`^${key} = `, 'm'));
});

test("the README's example passes the config check, the empty strings aside", () => {
  const { problems } = parseConfig(block.replace(/ = ""/g, ' = "x"'));
  expect(problems).toEqual([]);
});
