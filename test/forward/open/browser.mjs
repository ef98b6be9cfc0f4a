// A scripted browser for the OAuth tests, run as the laptop's open-command:
//   node browser.mjs RECORD_FILE URL
// It records the URL it was given, and when the URL names a redirect_uri (or
// redirect_url) it does what a browser does once the person has signed in: it
// requests that redirect with a code, and records the answer.
import { appendFileSync } from 'node:fs';

const [record, url] = process.argv.slice(2);
const given = new URL(url);
let target = given.searchParams.get('redirect_uri') ?? given.searchParams.get('redirect_url');
for (let i = 0; target !== null && !/^https?:/.test(target) && i < 3; i++) target = decodeURIComponent(target);
const entry = { argc: process.argv.length - 2, url, status: undefined, body: undefined, error: undefined };
if (target !== null) {
  const callback = new URL(target);
  callback.searchParams.set('code', 'c0de');
  try {
    const res = await fetch(callback, { signal: AbortSignal.timeout(10_000) });
    entry.status = res.status;
    entry.body = await res.text();
  } catch (err) {
    entry.error = String(err.cause?.code ?? err.message);
  }
}
appendFileSync(record, `${JSON.stringify(entry)}\n`);
