import { expect, test } from 'vitest';
import type { Connection } from '../../src/relay/connection.js';
import { CHANNELS_CAPABILITY, type Message } from '../../src/relay/messages.js';
import type { Pty } from '../../src/server/pty.js';
import { SessionLink } from '../../src/server/session-link.js';

/** The link's view of a client connection: what it sends is kept. */
function fakeConnection(sent: Message[]): Connection {
  return { send: (msg: Message) => void sent.push(msg), bulkReady: () => true, whenBulkReady: (callback: () => void) => queueMicrotask(callback) } as unknown as Connection;
}

const pty = { onWritten: () => undefined } as unknown as Pty;

test('a channel the session opens while a fresh client is still attaching is announced to that client once its link is up', () => {
  const link = new SessionLink(pty, async () => () => undefined);
  // as `gritty rf` retrying while the client attaches: the session has a client, its link is not up yet
  void link.channels.open('rf-listen', { listen: 8080, target: 3000 }).catch(() => undefined);
  const sent: Message[] = [];
  link.connect(fakeConnection(sent), [CHANNELS_CAPABILITY], undefined);
  expect(sent.filter((msg) => msg.type === 'ch-open')).toEqual([{ type: 'ch-open', id: 1, kind: 'rf-listen', params: { listen: 8080, target: 3000 } }]);
});
