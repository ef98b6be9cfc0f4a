import { printable } from '../../relay/printable.js';
import type { OpenChannel } from '../seam.js';
import { parseOpenableUrl } from './url.js';

/** Notices are a line or two; a cap keeps a misbehaving laptop from filling the helper's memory. */
const MAX_NOTICE_BYTES = 4_096;

export type OpenOutcome = { opened: true; notices: string[] } | { opened: false; message: string };

/**
 * What `gritty open URL` (and $BROWSER) does inside a session: asks the attached
 * laptop to open the URL. When it cannot (no client attached, forwarding off, a URL
 * that is not http/https, the rate limit), the message says why and carries the URL
 * so the person can copy it into a browser themselves.
 */
export async function openOnLaptop(open: OpenChannel, url: string): Promise<OpenOutcome> {
  const checked = parseOpenableUrl(url);
  if (!checked.ok) return { opened: false, message: `gritty open: ${checked.reason}; not opened:\n  ${printable(url)}` };
  let channel;
  try {
    channel = await open('open-url', { url: checked.href });
  } catch (err) {
    const reason = printable(err instanceof Error ? err.message : String(err));
    return { opened: false, message: `gritty open: the laptop did not open the URL (${reason}). Open it yourself:\n  ${checked.href}` };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of channel as AsyncIterable<Buffer>) {
      if (size < MAX_NOTICE_BYTES) chunks.push(chunk.subarray(0, MAX_NOTICE_BYTES - size));
      size += chunk.length;
    }
  } catch {
    // the URL is open; a channel cut before the notices arrived loses only those
  } finally {
    channel.end();
  }
  const notices = Buffer.concat(chunks).toString('utf8').split('\n').filter((line) => line !== '').map(printable);
  return { opened: true, notices };
}
