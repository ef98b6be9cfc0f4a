import { openOnLaptop } from '../../forward/open/session-side.js';
import type { CommandSpec } from '../context.js';
import { openServiceChannel, serviceSocket } from '../service-client.js';

export const open: CommandSpec = {
  name: 'open',
  summary: 'open a URL in the browser of the laptop attached to this session',
  details: `
Run inside a gritty session ($BROWSER there runs it, so gh, az, gcloud and
python -m webbrowser use it by themselves). A URL whose redirect_uri names
localhost:PORT also makes the laptop listen on that port and tunnel the OAuth
callback back to this session. When no laptop is attached, or it does not
forward URLs, it says why and prints the URL to copy.

Examples:
  gritty open https://github.com/login/device
  BROWSER="gritty open" gh auth login`,
  args: [{ name: 'url', required: true, description: 'an http or https URL' }],
  async run(ctx, args) {
    const path = serviceSocket('open');
    const outcome = await openOnLaptop((kind, params) => openServiceChannel(path, ctx.anonymous, kind, params), args[0]!);
    if (!outcome.opened) {
      process.stderr.write(`${outcome.message}\n`);
      return 1;
    }
    for (const notice of outcome.notices) process.stderr.write(`gritty open: ${notice}\n`);
    return 0;
  },
};
