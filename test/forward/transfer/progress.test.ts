import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GrittyError } from '../../../src/relay/errors.js';
import { createProgress, summaryLine } from '../../../src/forward/transfer/progress.js';
import { runReceiver } from '../../../src/forward/transfer/receiver.js';
import { runSender } from '../../../src/forward/transfer/sender.js';
import type { TransferResult } from '../../../src/forward/transfer/events.js';
import { SocketLink, tempDir } from './link.js';

/** A stream that keeps what is written; `isTTY` makes it pass for a terminal. */
class Capture extends Writable {
  text = '';
  columns = 120;
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

let work: Awaited<ReturnType<typeof tempDir>>;
let tree: string;

beforeAll(async () => {
  work = await tempDir('progress');
  tree = join(work.path, 'docs');
  await mkdir(tree);
  await writeFile(join(tree, 'report.pdf'), Buffer.alloc(300 * 1024, 1));
  await writeFile(join(tree, 'evil\x1b[2Jname'), 'x');
  await symlink('report.pdf', join(tree, 'latest'));
});
afterAll(async () => {
  await work.remove();
});

async function run(tty: boolean): Promise<{ sent: string; received: string }> {
  const dest = join(work.path, `dest-${tty}`);
  await rm(dest, { recursive: true, force: true });
  await mkdir(dest);
  await mkdir(join(dest, 'docs'));
  await writeFile(join(dest, 'docs', 'report.pdf'), 'old');
  const sent = new Capture(tty);
  const received = new Capture(tty);
  const link = await SocketLink.open(work.path);
  await Promise.all([
    runSender({ stream: link.connected, source: { kind: 'paths', paths: [tree], recursive: true }, events: createProgress({ output: sent, verb: 'sent' }) }),
    runReceiver({ stream: link.accepted, target: { kind: 'dir', dir: dest }, events: createProgress({ output: received, verb: 'received' }) }),
  ]).finally(() => link.close());
  return { sent: sent.text, received: received.text };
}

describe('not on a terminal', () => {
  test('each event is one plain line, names escaped, and a summary closes', async () => {
    const { sent, received } = await run(false);
    expect(sent).not.toContain('\x1b');
    expect(received).not.toContain('\x1b');
    const skips = ['skipped docs/evil\\e[2Jname: its name has control characters or is too long', 'skipped docs/latest: a symlink; symlinks are not followed or sent'];
    expect(sent.split('\n')).toEqual([
      ...skips,
      'sent docs/report.pdf (300.0 KiB)',
      expect.stringMatching(/^sent 1 file, 300\.0 KiB in \d+\.\d s \(.*\/s\); 2 skipped$/),
      '',
    ]);
    expect(received.split('\n')).toEqual([
      ...skips,
      'replacing docs/report.pdf',
      'received docs/report.pdf (300.0 KiB)',
      expect.stringMatching(/^received 1 file, 300\.0 KiB in \d+\.\d s \(.*\/s\); 2 skipped$/),
      '',
    ]);
  });
});

describe('on a terminal', () => {
  test('a bar per file with bytes, rate and ETA, notes below it, then the summary', async () => {
    const { received } = await run(true);
    expect(received).toMatch(/docs\/report\.pdf \[=+\] 100% 300\.0 KiB\/300\.0 KiB .*\/s ETA 0s/);
    expect(received).toContain('skipped docs/latest: a symlink');
    expect(received).toContain('skipped docs/evil\\e[2Jname');
    expect(received).toMatch(/\nreplacing docs\/report\.pdf\nreceived 1 file, 300\.0 KiB in \d+\.\d s \(.*\/s\); 2 skipped\n$/);
    expect(received).not.toContain('\x1b[2J');
  });
});

describe('summaryLine', () => {
  const base: TransferResult = { status: 0, files: 3, bytes: 12 * 1024 * 1024, failed: [], skipped: [], error: undefined, elapsedMs: 1_200 };

  test('says files, bytes, time and rate', () => {
    expect(summaryLine('received', base)).toBe('received 3 files, 12.0 MiB in 1.2 s (10.0 MiB/s)');
  });

  test('counts failures and skips, and says when the transfer stopped early', () => {
    const result: TransferResult = {
      ...base,
      status: 1,
      files: 1,
      failed: [{ path: 'a', code: 'unsafe-path', message: 'no' }],
      skipped: [{ path: 'l', reason: 'symlink' }],
      error: new GrittyError('disk-full', 'full'),
    };
    expect(summaryLine('sent', result)).toBe('sent 1 file, 12.0 MiB in 1.2 s (10.0 MiB/s); 1 failed; 1 skipped; stopped early');
  });
});
