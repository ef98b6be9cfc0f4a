import { describe, expect, test } from 'vitest';
import { findOAuthRedirect, MAX_URL_CHARS, parseOpenableUrl } from '../../../src/forward/open/url.js';

function redirectOf(raw: string) {
  const checked = parseOpenableUrl(raw);
  if (!checked.ok) throw new Error(checked.reason);
  return findOAuthRedirect(checked.url);
}

describe('parseOpenableUrl', () => {
  test('accepts http and https, handing back the normalised form', () => {
    expect(parseOpenableUrl('https://example.com/a b?q=1')).toMatchObject({ ok: true, href: 'https://example.com/a%20b?q=1' });
    expect(parseOpenableUrl('HTTP://EXAMPLE.com')).toMatchObject({ ok: true, href: 'http://example.com/' });
  });

  test.each([
    ['javascript:alert(1)', /only http and https/],
    ['file:///etc/passwd', /only http and https/],
    ['data:text/html,<script>x</script>', /only http and https/],
    ['vbscript:msgbox', /only http and https/],
    ['ssh://host', /only http and https/],
    ['/relative/path', /not a valid absolute URL/],
    ['--help', /not a valid absolute URL/],
    ['', /not a valid absolute URL/],
    ['java\nscript:alert(1)', /control characters/],
    ['https://example.com/\x1b[2J', /control characters/],
    ['https://exa\tmple.com/', /control characters/],
    ['https://user:pw@example.com/', /user name or password/],
    ['https://evil.com@example.com/', /user name or password/],
  ])('refuses %j', (raw, reason) => {
    const checked = parseOpenableUrl(raw);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).toMatch(reason);
  });

  test('refuses a URL past the cap without parsing it', () => {
    expect(parseOpenableUrl(`https://example.com/${'a'.repeat(MAX_URL_CHARS)}`)).toEqual({ ok: false, reason: expect.stringMatching(/longer than/) });
  });
});

describe('findOAuthRedirect', () => {
  test.each([
    ['unencoded', 'https://auth.example.com/authorize?client_id=x&redirect_uri=http://localhost:8085/callback&state=s', { host: 'localhost', port: 8085 }],
    ['encoded', 'https://auth.example.com/authorize?redirect_uri=http%3A%2F%2F127.0.0.1%3A45123%2Fcb&scope=a+b', { host: '127.0.0.1', port: 45123 }],
    ['double-encoded', 'https://auth.example.com/authorize?redirect_uri=http%253A%252F%252F127.0.0.1%253A45123%252Fcb', { host: '127.0.0.1', port: 45123 }],
    ['IPv6', 'https://auth.example.com/authorize?redirect_uri=http%3A%2F%2F%5B%3A%3A1%5D%3A9004%2F', { host: '::1', port: 9004 }],
    ['redirect_url', 'https://auth.example.com/x?redirect_url=http://localhost:1234', { host: 'localhost', port: 1234 }],
    ['upper-case key', 'https://auth.example.com/x?REDIRECT_URI=http://localhost:1234', { host: 'localhost', port: 1234 }],
    ['https loopback', 'https://auth.example.com/x?redirect_uri=https://127.0.0.1:8443/cb', { host: '127.0.0.1', port: 8443 }],
    [
      'nested in a login page continue= param',
      'https://login.example.com/signin?continue=https%3A%2F%2Fauth.example.com%2Fauthorize%3Fredirect_uri%3Dhttp%253A%252F%252Flocalhost%253A8085%252Fcb',
      { host: 'localhost', port: 8085 },
    ],
  ])('finds the loopback redirect, %s', (_, raw, redirect) => {
    expect(redirectOf(raw)).toEqual(redirect);
  });

  test.each([
    ['no redirect at all', 'https://example.com/?q=1'],
    ['a redirect to a remote host', 'https://auth.example.com/a?redirect_uri=https://app.example.com:8443/cb'],
    ['a look-alike host', 'https://auth.example.com/a?redirect_uri=http://localhost.evil.com:8080/'],
    ['a userinfo trick', 'https://auth.example.com/a?redirect_uri=http://localhost:80@evil.com:8080/'],
    ['no port', 'https://auth.example.com/a?redirect_uri=http://localhost/cb'],
    ['port 0', 'https://auth.example.com/a?redirect_uri=http://localhost:0/cb'],
    ['port 65536', 'https://auth.example.com/a?redirect_uri=http://localhost:65536/cb'],
    ['a non-http scheme', 'https://auth.example.com/a?redirect_uri=file://localhost:8080/etc'],
    ['a loopback URL in another param', 'https://example.com/?next=http://localhost:8080/'],
    ['a redirect on another private address', 'https://auth.example.com/a?redirect_uri=http://10.0.0.1:8080/'],
  ])('finds none for %s', (_, raw) => {
    expect(redirectOf(raw)).toBeUndefined();
  });

  test('stops looking after a few levels of nesting', () => {
    let raw = 'http://localhost:8080/';
    for (let i = 0; i < 20; i++) raw = `https://x${i}.example.com/?redirect_uri=${encodeURIComponent(raw)}`;
    expect(redirectOf(raw)).toBeUndefined();
  });
});
