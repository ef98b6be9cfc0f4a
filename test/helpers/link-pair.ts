import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelMux } from '../../src/relay/channel-mux.js';
import { Connection } from '../../src/relay/connection.js';
import { isGrittyError } from '../../src/relay/errors.js';

/** Two Connections joined by a real Unix socket: one link between two sides. Close both in afterEach. */
export async function linkPair(): Promise<{ a: Connection; b: Connection; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'gritty-link-'));
  const path = join(dir, 'pair.sock');
  const server = createServer({ allowHalfOpen: true });
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const dialled = createConnection(path);
  await new Promise((resolve) => dialled.once('connect', resolve));
  const a = new Connection(dialled);
  const b = new Connection(await accepted);
  server.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    a,
    b,
    close() {
      a.socket.destroy();
      b.socket.destroy();
    },
  };
}

/** Routes every message of `conn` to `mux`; a protocol violation closes the connection with it. */
export function carry(conn: Connection, mux: ChannelMux): void {
  mux.attachLink(conn);
  conn.setHandler((msg) => {
    try {
      mux.handle(msg);
    } catch (err) {
      conn.close(isGrittyError(err) ? err : undefined);
    }
  });
}
