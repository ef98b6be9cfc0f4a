/**
 * A stand-in session host for the OAuth tests, run in a network namespace of its own
 * (so its loopback ports do not collide with the laptop's, as on a real remote): an
 * HTTP callback server like the one `gh auth login` starts, and the session's real
 * forwarding side serving channels on a Unix socket (which crosses namespaces).
 * Reports on stdout, one JSON object a line.
 */
import { createServer } from 'node:http';
import { RemoteForwardTargets } from '../../../src/forward/port/rf.js';
import { sessionForwarding } from '../../../src/forward/session.js';
import { serveChannels } from '../../helpers/channel-pair.js';

const say = (event: object): void => void process.stdout.write(`${JSON.stringify(event)}\n`);
const channelSock = process.env.CHANNEL_SOCK!;
const listens = JSON.parse(process.env.CALLBACK_LISTENS!) as { host: string; port: number }[];

for (const { host, port } of listens) {
  const server = createServer((req, res) => {
    say({ callback: { host, port, url: req.url } });
    res.end(`signed in on the session host via ${host}:${port} with ${new URL(req.url!, 'http://x').searchParams.get('code')}\n`);
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
}
await serveChannels(channelSock, sessionForwarding({ targets: new RemoteForwardTargets(), log: (line) => say({ log: line }) }));
say({ ready: true });
