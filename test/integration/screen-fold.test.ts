import { expect, test } from 'vitest';
import { MIN_RING_BYTES } from '../../src/relay/messages.js';
import { RawClient, attachRaw, listSessions } from '../helpers/protocol.js';
import { sharedServer } from '../helpers/server-world.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The screen is not parsed as output flows: it is read when the unparsed output fills
 * half the ring. A session that writes several rings' worth while nobody watches still
 * comes back with all of it in the scrollback of a fresh attach, though the ring itself
 * holds only the last part.
 */
const LINES = 600;
/** Each line is 200 bytes with its CR LF: 600 of them are ~1.8 rings of 64 KiB. */
const LINE_TEXT = 190;
const COLS = 220;
const server = sharedServer();

test('output beyond the ring, written at a pace that is no flood, is all in the picture a fresh attach gets', async () => {
  // ~100 KB/s, well below the flood rate: every line is parsed
  const writer = `$| = 1; for my $i (1..${LINES}) { printf "line-%04d %s\\n", $i, "x" x ${LINE_TEXT}; select(undef, undef, undef, 0.002) } print "all-written\\n"; sleep 1000`;
  const { client } = await RawClient.open(server.world.ctlSocket);
  client.send({ type: 'new', spec: { name: 'long', command: `exec perl -e '${writer}'`, env: { TERM: 'xterm-256color', LANG: 'C.UTF-8' }, cols: COLS, rows: 24, ringBytes: MIN_RING_BYTES }, attach: false });
  await client.expect('created');
  client.close();
  const total = LINES * (LINE_TEXT + 12) + 'all-written\r\n'.length;
  await waitFor(async () => ((await listSessions(server.world.ctlSocket))[0]?.offset ?? 0) >= total, { what: 'every line written', timeoutMs: 60_000 });
  expect(total).toBeGreaterThan(MIN_RING_BYTES * 1.5);

  const attach = await attachRaw(server.world.ctlSocket, 'long', { repaint: true, cols: COLS, rows: 24 });
  server.track(attach.client);
  const picture = (await attach.client.expect('snapshot', 30_000)).data.toString('utf8');
  const numbers = [...picture.matchAll(/line-(\d{4})/g)].map((m) => Number(m[1]));
  expect(numbers).toEqual(Array.from({ length: LINES }, (_, i) => i + 1));
  expect(picture).toContain('all-written');
});
