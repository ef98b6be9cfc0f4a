import { afterEach, expect, test } from 'vitest';
import { makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';

let world: GrittyEnv | undefined;
afterEach(() => world?.cleanup());

test('new -d starts a server and ls lists the session', () => {
  world = makeGrittyEnv();
  const created = world.run(['new', '-d', 'local:smoke']);
  expect(created.stderr).toBe('');
  expect(created.stdout.trim()).toBe('local:smoke');
  const listed = world.run(['ls', '--json']);
  const sessions = JSON.parse(listed.stdout) as { name: string }[];
  expect(sessions.map((s) => s.name)).toEqual(['smoke']);
});
