import { isGrittyError } from '../../relay/errors.js';
import { readParams, refuse, text } from '../params.js';
import type { ChannelAcceptor } from '../seam.js';
import { launchBrowser } from './browser.js';
import type { OAuthListeners } from './oauth-listener.js';
import { findOAuthRedirect, MAX_URL_CHARS, parseOpenableUrl } from './url.js';

export interface OpenUrlOptions {
  /** The config's open-command; undefined opens the default browser. */
  openCommand: string | undefined;
  /** The callback listeners; undefined when oauth-redirect is off. */
  oauth: OAuthListeners | undefined;
}

/**
 * Accepts `open-url` channels: checks the URL (http/https only), listens for the OAuth
 * redirect it names (when oauth-redirect is on), then opens it. Accepted means opened;
 * the channel then carries notices for the person who ran `gritty open` (a busy
 * callback port, say), one per line, and ends. A URL that cannot be opened is refused.
 */
export function openUrlAcceptor(options: OpenUrlOptions): ChannelAcceptor {
  return async (params) => {
    const { url } = readParams(params, { url: text(MAX_URL_CHARS) });
    const checked = parseOpenableUrl(url);
    if (!checked.ok) throw refuse(checked.reason);
    const notices: string[] = [];
    const redirect = options.oauth !== undefined ? findOAuthRedirect(checked.url) : undefined;
    let listening = false;
    if (redirect !== undefined) {
      try {
        listening = (await options.oauth?.listen(redirect)) ?? false;
      } catch (err) {
        if (!isGrittyError(err, 'port-busy')) throw err;
        notices.push(`${err.message}. The sign-in cannot call back into the session; the URL was opened anyway.`);
      }
    }
    try {
      await launchBrowser(checked.href, options.openCommand);
    } catch (err) {
      if (listening && redirect !== undefined) await options.oauth?.cancel(redirect.port);
      throw refuse(`the laptop could not open the URL: ${(err as Error).message}`, err);
    }
    return (channel) => {
      channel.on('error', () => {});
      channel.resume();
      channel.end(notices.map((line) => `${line}\n`).join(''));
    };
  };
}
