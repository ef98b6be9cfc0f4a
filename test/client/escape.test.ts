import { describe, expect, test } from 'vitest';
import { EscapeParser, type EscapeAction } from '../../src/client/escape.js';

/** Actions as readable tokens: sends merged into one string each, commands as <name>. */
function render(actions: EscapeAction[]): string[] {
  const out: string[] = [];
  let text: string | undefined;
  for (const action of actions) {
    if (action.kind === 'send') {
      text = (text ?? '') + action.data.toString('latin1');
      continue;
    }
    if (text !== undefined) out.push(text);
    text = undefined;
    out.push(`<${action.kind}>`);
  }
  if (text !== undefined) out.push(text);
  return out;
}

function feedAll(chunks: string[]): string[] {
  const parser = new EscapeParser();
  return render(chunks.flatMap((c) => parser.feed(Buffer.from(c, 'latin1'))));
}

describe('EscapeParser', () => {
  test.each([
    ['~.', 'detach'],
    ['~R', 'reconnect'],
    ['~#', 'status'],
    ['~\x1a', 'suspend'],
    ['~?', 'help'],
  ])('recognises %j at session start as %s', (seq, command) => {
    expect(feedAll([seq])).toEqual([`<${command}>`]);
  });

  test.each([
    ['\r~.', ['\r', '<detach>']],
    ['\n~.', ['\n', '<detach>']],
    ['ls\r~R', ['ls\r', '<reconnect>']],
    ['echo hi\n~#more', ['echo hi\n', '<status>', 'more']],
  ])('recognises an escape right after a newline in %j', (input, expected) => {
    expect(feedAll([input])).toEqual(expected);
  });

  test('passes ~ that is not at line start straight through', () => {
    expect(feedAll(['cd ~.'])).toEqual(['cd ~.']);
    expect(feedAll(['a~.b~?'])).toEqual(['a~.b~?']);
  });

  test('turns ~~ at line start into one literal ~ and stays off line start', () => {
    expect(feedAll(['~~'])).toEqual(['~']);
    expect(feedAll(['~~.'])).toEqual(['~.']);
    expect(feedAll(['\r~~/bin'])).toEqual(['\r~/bin']);
  });

  test('passes an unknown ~x through as both bytes', () => {
    expect(feedAll(['~x'])).toEqual(['~x']);
    expect(feedAll(['\r~/etc'])).toEqual(['\r~/etc']);
    expect(feedAll(['~r'])).toEqual(['~r']);
  });

  test('sends ~ then the newline for ~<Enter>, and is at line start again', () => {
    expect(feedAll(['~\r~.'])).toEqual(['~\r', '<detach>']);
  });

  test('holds a ~ at line start until the next byte decides, across chunks', () => {
    const parser = new EscapeParser();
    expect(render(parser.feed(Buffer.from('ls\r~')))).toEqual(['ls\r']);
    expect(render(parser.feed(Buffer.from('.')))).toEqual(['<detach>']);
  });

  test('releases a held ~ when the next chunk is not a command', () => {
    const parser = new EscapeParser();
    expect(render(parser.feed(Buffer.from('~')))).toEqual([]);
    expect(render(parser.feed(Buffer.from('v')))).toEqual(['~v']);
  });

  test('recognises a newline at the end of one chunk and ~. in the next', () => {
    expect(feedAll(['echo\r', '~', '?'])).toEqual(['echo\r', '<help>']);
    expect(feedAll(['echo\r', '~.'])).toEqual(['echo\r', '<detach>']);
  });

  test.each([
    ['~.', 'detach'],
    ['~R', 'reconnect'],
    ['~#', 'status'],
    ['~\x1a', 'suspend'],
    ['~?', 'help'],
    ['~~', undefined],
    ['~q', undefined],
  ])('gives the same actions for %j whichever byte boundary splits "x\\r<seq>y"', (seq, command) => {
    const whole = `x\r${seq}y`;
    const expected = feedAll([whole]);
    expect(expected.join('')).toContain(command === undefined ? 'y' : `<${command}>`);
    for (let cut = 0; cut <= whole.length; cut++) {
      expect(feedAll([whole.slice(0, cut), whole.slice(cut)]), `cut at ${cut}`).toEqual(expected);
    }
  });

  test('does not treat a ~ after an ordinary character as an escape even when split', () => {
    expect(feedAll(['a', '~', '.'])).toEqual(['a~.']);
  });

  test('keeps ordinary input byte-exact, including binary bytes', () => {
    const parser = new EscapeParser();
    const data = Buffer.from([0, 1, 0x7f, 0xff, 0x1b, 0x5b, 0x41]);
    const actions = parser.feed(data);
    expect(Buffer.concat(actions.map((a) => (a.kind === 'send' ? a.data : Buffer.alloc(0)))).equals(data)).toBe(true);
  });
});
