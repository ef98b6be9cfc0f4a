import { isPrintable } from '../../relay/printable.js';
import { isPort, type Port } from '../params.js';

/** Real OAuth and sign-in URLs stay under 4 KiB; a cap well above that bounds what a peer can hand to a browser. */
export const MAX_URL_CHARS = 8_192;
/** How deep a redirect_uri is looked for inside URLs nested in query params (a login page's `continue=` …). */
const MAX_NESTING = 4;
/** How many times a value is percent-decoded again to see through double encoding. */
const MAX_DECODES = 3;

export type OpenableUrl = { ok: true; href: string; url: URL } | { ok: false; reason: string };

/**
 * Whether `raw` may be opened in the laptop's browser: an http or https URL, no
 * control characters, no user name or password, at most MAX_URL_CHARS. `href` is the
 * normalised form, the only one ever handed to a browser.
 */
export function parseOpenableUrl(raw: string): OpenableUrl {
  if (raw.length > MAX_URL_CHARS) return { ok: false, reason: `the URL is longer than ${MAX_URL_CHARS} characters` };
  if (!isPrintable(raw)) return { ok: false, reason: 'the URL holds control characters' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a valid absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: `only http and https URLs are opened, not ${url.protocol}` };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'URLs with a user name or password in them are not opened' };
  if (url.hostname === '') return { ok: false, reason: 'the URL names no host' };
  return { ok: true, href: url.href, url };
}

export type LoopbackName = 'localhost' | '127.0.0.1' | '::1';

/** Where an OAuth flow will send the browser back to: a loopback port on the machine the browser runs on. */
export interface OAuthRedirect {
  host: LoopbackName;
  port: Port;
}

const REDIRECT_KEYS = new Set(['redirect_uri', 'redirect_url']);
const LOOPBACK: Record<string, LoopbackName> = { localhost: 'localhost', '127.0.0.1': '127.0.0.1', '[::1]': '::1' };

/**
 * The loopback redirect an opened URL names in its `redirect_uri` or `redirect_url`
 * query param (encoded once, twice or not at all), also inside a URL nested in
 * another query param; undefined when it names none, or one on another host or with
 * no explicit port.
 */
export function findOAuthRedirect(url: URL, depth = 0): OAuthRedirect | undefined {
  for (const [key, value] of url.searchParams) {
    for (const candidate of decodings(value)) {
      const nested = parseHttp(candidate);
      if (nested === undefined) continue;
      if (REDIRECT_KEYS.has(key.toLowerCase())) {
        const redirect = loopbackRedirect(nested);
        if (redirect !== undefined) return redirect;
      }
      if (depth < MAX_NESTING) {
        const inner = findOAuthRedirect(nested, depth + 1);
        if (inner !== undefined) return inner;
      }
    }
  }
  return undefined;
}

function loopbackRedirect(url: URL): OAuthRedirect | undefined {
  const host = LOOPBACK[url.hostname];
  const port = Number(url.port);
  return host !== undefined && url.port !== '' && isPort(port) ? { host, port } : undefined;
}

function parseHttp(text: string): URL | undefined {
  if (!/^https?:/i.test(text)) return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** `value`, then each further percent-decoding of it that changes it. */
function decodings(value: string): string[] {
  const out = [value];
  for (let i = 0; i < MAX_DECODES; i++) {
    let next: string;
    try {
      next = decodeURIComponent(out[out.length - 1]!);
    } catch {
      break;
    }
    if (next === out[out.length - 1]) break;
    out.push(next);
  }
  return out;
}
