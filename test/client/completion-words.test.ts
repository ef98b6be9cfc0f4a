import { describe, expect, test } from 'vitest';
import { COMMANDS } from '../../src/client/commands/index.js';
import { complete, type NameSources } from '../../src/client/completion-words.js';

const asked: string[] = [];
const sources: NameSources = {
  hosts: () => ['local', 'devbox'],
  sessions: async (host) => {
    asked.push(host);
    return host === 'devbox' ? ['work', 'build'] : [];
  },
};

const words = (line: string): Promise<string[]> => complete(COMMANDS, line.split(' '), sources);

describe('completion candidates', () => {
  test('the hidden __complete command is never offered', async () => {
    expect(await words('__')).toEqual([]);
    expect(await words('')).toContain('doctor');
  });

  test('global options, and the word after --ctl-socket is its value, not the command', async () => {
    expect(await words('--ct')).toEqual(['--ctl-socket']);
    expect(await words('--ctl-socket ')).toEqual([]);
    expect(await words('--ctl-socket /x.sock at')).toEqual(['attach']);
    expect(await words('-v ta')).toEqual(['tail']);
  });

  test("an option's value is not completed as a target", async () => {
    expect(await words('new -c ')).toEqual([]);
    expect(await words('connect -o ')).toEqual([]);
    expect(await words('connect -o A=b ')).toEqual(['devbox']);
  });

  test('sessions are asked of the host before the colon only', async () => {
    asked.length = 0;
    expect(await words('attach devbox:w')).toEqual(['devbox:work']);
    expect(asked).toEqual(['devbox']);
    expect(await words('attach dev')).toEqual(['devbox:']);
  });

  test('the second argument of rename is a new name: nothing to offer', async () => {
    expect(await words('rename devbox:work ')).toEqual([]);
  });

  test('an unknown command completes nothing', async () => {
    expect(await words('bogus ')).toEqual([]);
  });
});
