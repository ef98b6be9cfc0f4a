import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { exitOf, waitFor } from '../helpers/wait.js';

let world: GrittyEnv | undefined;
let tailer: ChildProcess | undefined;
afterEach(() => {
  tailer?.kill('SIGKILL');
  tailer = undefined;
  world?.cleanup();
  world = undefined;
});

/** A session that prints early-marker, then ticks until `go` exists, then prints final-marker and exits. */
function startTicker(w: GrittyEnv, name: string): string {
  const go = join(w.root, 'go');
  const script = `echo early-marker; i=0; while [ ! -e ${go} ]; do echo tick-$i; i=$((i+1)); sleep 0.1; done; echo final-marker; exit 0`;
  const created = w.run(['new', '-d', '-c', script, `local:${name}`]);
  expect(created.status).toBe(0);
  return go;
}

function offsetOf(w: GrittyEnv, name: string): number {
  const sessions = JSON.parse(w.run(['ls', '--json']).stdout) as { name: string; offset: number }[];
  return sessions.find((s) => s.name === name)?.offset ?? 0;
}

function collect(child: ChildProcess): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  return { out: () => out, err: () => err };
}

test('tail in a pipe streams new output and ends when the session exits', async () => {
  world = makeGrittyEnv();
  const go = startTicker(world, 'piped');
  // early-marker is out before tail starts, so a tail from now must not repeat it
  await waitFor(() => offsetOf(world!, 'piped') > 'early-marker\r\n'.length, { what: 'the session to start printing' });
  tailer = world.spawn(['tail', 'local:piped']);
  const text = collect(tailer);
  await waitFor(() => /tick-\d+\r?\n/.test(text.out()), { what: 'tail to pass on live output', describe: text.err });
  writeFileSync(go, '');
  expect(await exitOf(tailer)).toBe(0);
  expect(text.out()).toContain('final-marker');
  // from now on: the output before tail started is not repeated
  expect(text.out()).not.toContain('early-marker');
  expect(text.err()).toContain('[session exited with status 0]');
});

test('tail --history starts with what the session printed before', async () => {
  world = makeGrittyEnv();
  const go = startTicker(world, 'hist');
  tailer = world.spawn(['tail', '--history', 'local:hist']);
  const text = collect(tailer);
  await waitFor(() => text.out().includes('tick-'), { what: 'tail to pass on output', describe: text.err });
  writeFileSync(go, '');
  expect(await exitOf(tailer)).toBe(0);
  const out = text.out();
  expect(out.indexOf('early-marker')).toBeGreaterThanOrEqual(0);
  expect(out.indexOf('early-marker')).toBeLessThan(out.indexOf('tick-0'));
  expect(out.indexOf('final-marker')).toBeGreaterThan(out.indexOf('tick-0'));
  const ticks = [...out.matchAll(/tick-(\d+)/g)].map((m) => Number(m[1]));
  expect(ticks).toEqual(ticks.map((_, i) => i));
});
