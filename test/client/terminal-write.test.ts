import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { writeThrough } from '../../src/client/terminal.js';

/**
 * writeThrough writes to the fd itself and leaves to the stream only what the fd did
 * not take, keeping the order of bytes. A real FIFO opened non-blocking stands for a
 * terminal that stops taking output; the stream records what it was given.
 */
let dir: string;
let fd: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gritty-write-'));
  const fifo = join(dir, 'fifo');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  // read-write, so opening does not wait for a reader; non-blocking, so a full FIFO says EAGAIN
  fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
});

afterEach(() => {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
});

function recordingStream() {
  const given: Buffer[] = [];
  return {
    given,
    get writableLength() {
      return given.reduce((sum, b) => sum + b.length, 0);
    },
    write(chunk: Buffer) {
      given.push(Buffer.from(chunk));
      return true;
    },
  };
}

function drain(): Buffer {
  const out: Buffer[] = [];
  const chunk = Buffer.alloc(64 * 1024);
  for (;;) {
    try {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      out.push(Buffer.from(chunk.subarray(0, n)));
    } catch {
      break; // EAGAIN: nothing more
    }
  }
  return Buffer.concat(out);
}

test('what the fd takes goes there, and the stream is not used', () => {
  const stream = recordingStream();
  writeThrough(fd, stream, 'echo');
  expect(stream.given).toEqual([]);
  expect(drain().toString()).toBe('echo');
});

test('what a full fd refuses goes to the stream, and so does all that follows while it waits there, in order', () => {
  const stream = recordingStream();
  const flood = Buffer.alloc(1 << 20, 'a');
  writeThrough(fd, stream, flood);
  // the terminal catches up: the FIFO has room again, but the stream still holds the flood's end
  const direct = drain();
  writeThrough(fd, stream, 'b');
  expect(drain().length).toBe(0);
  expect(direct.length).toBeGreaterThan(0);
  expect(direct.length).toBeLessThan(flood.length);
  expect(Buffer.concat([direct, ...stream.given]).equals(Buffer.concat([flood, Buffer.from('b')]))).toBe(true);
});
