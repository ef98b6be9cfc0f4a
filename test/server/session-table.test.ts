import { describe, expect, test } from 'vitest';
import { isGrittyError } from '../../src/relay/errors.js';
import type { Session } from '../../src/server/session.js';
import { EXIT_MEMORY_MAX, EXIT_MEMORY_MS, SessionTable } from '../../src/server/session-table.js';

/** The part of a Session the table uses: identity, a mutable name, and its end. */
class FakeSession {
  private readonly ended: ((status: { code: number; signal?: number }) => void)[] = [];
  constructor(
    readonly id: string,
    public name: string,
  ) {}
  onEnded(listener: (status: { code: number; signal?: number }) => void): void {
    this.ended.push(listener);
  }
  end(code = 0, signal?: number): void {
    for (const listener of this.ended) listener({ code, signal });
  }
}

function tableWith(...names: string[]): { table: SessionTable; sessions: FakeSession[] } {
  return tableAt(Date.now, ...names);
}

function tableAt(now: () => number, ...names: string[]): { table: SessionTable; sessions: FakeSession[] } {
  const table = new SessionTable(now);
  const sessions = names.map((name, i) => new FakeSession(`id${i}`, name));
  for (const s of sessions) table.add(s as unknown as Session);
  return { table, sessions };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isGrittyError(err) ? err.code : 'not-gritty';
  }
  return undefined;
}

describe('SessionTable.claimName', () => {
  test('gives 0 to the first unnamed session', () => {
    expect(tableWith().table.claimName(undefined)).toBe('0');
  });

  test('gives the smallest free number, filling gaps', () => {
    expect(tableWith('0', '1', '3').table.claimName(undefined)).toBe('2');
    expect(tableWith('1', 'work').table.claimName(undefined)).toBe('0');
    expect(tableWith('0', '1', '2').table.claimName(undefined)).toBe('3');
  });

  test('frees a number when its session ends', () => {
    const { table, sessions } = tableWith('0', '1');
    sessions[0]!.end();
    expect(table.size).toBe(1);
    expect(table.claimName(undefined)).toBe('0');
  });

  test('gives the wanted name when it is free', () => {
    expect(tableWith('work').table.claimName('play')).toBe('play');
  });

  test('refuses a taken name with name-taken, saying how to attach instead', () => {
    const { table } = tableWith('work');
    expect(codeOf(() => table.claimName('work'))).toBe('name-taken');
    expect(() => table.claimName('work')).toThrow(/gritty attach work/);
  });

  test('refuses an invalid wanted name with invalid-name', () => {
    const { table } = tableWith();
    for (const bad of ['', 'a b', '-x', 'a:b', 'a\x01']) expect(codeOf(() => table.claimName(bad))).toBe('invalid-name');
  });
});

describe('SessionTable.resolve', () => {
  test('finds a session by name, then by id', () => {
    const { table, sessions } = tableWith('work', 'play');
    expect(table.resolve('play')).toBe(sessions[1]);
    expect(table.resolve('id0')).toBe(sessions[0]);
  });

  test('prefers a name over an id that happens to match', () => {
    const { table, sessions } = tableWith('id1', 'other');
    expect(table.resolve('id1')).toBe(sessions[0]);
  });

  test('refuses an unknown name with no-such-session, pointing at gritty ls', () => {
    const { table } = tableWith('work');
    expect(codeOf(() => table.resolve('nope'))).toBe('no-such-session');
    expect(() => table.resolve('nope')).toThrow(/gritty ls/);
  });

  test('resolves - to the session attached last', () => {
    const { table, sessions } = tableWith('a', 'b', 'c');
    table.markAttached(sessions[2] as unknown as Session);
    table.markAttached(sessions[1] as unknown as Session);
    expect(table.resolve('-')).toBe(sessions[1]);
  });

  test('refuses - before any attach, and after the last attached session ended', () => {
    const { table, sessions } = tableWith('a');
    expect(codeOf(() => table.resolve('-'))).toBe('no-such-session');
    table.markAttached(sessions[0] as unknown as Session);
    sessions[0]!.end();
    expect(codeOf(() => table.resolve('-'))).toBe('no-such-session');
  });

  test('forgets an ended session', () => {
    const { table, sessions } = tableWith('a', 'b');
    sessions[0]!.end();
    expect(table.find('a')).toBeUndefined();
    expect(table.all()).toEqual([sessions[1]]);
  });
});

describe('SessionTable.rename', () => {
  test('renames so that the new name resolves and the old does not', () => {
    const { table, sessions } = tableWith('a');
    table.rename(sessions[0] as unknown as Session, 'b');
    expect(table.resolve('b')).toBe(sessions[0]);
    expect(table.find('a')).toBeUndefined();
  });

  test('refuses a name held by another session, and allows renaming to the same name', () => {
    const { table, sessions } = tableWith('a', 'b');
    expect(codeOf(() => table.rename(sessions[0] as unknown as Session, 'b'))).toBe('name-taken');
    expect(sessions[0]!.name).toBe('a');
    table.rename(sessions[0] as unknown as Session, 'a');
    expect(sessions[0]!.name).toBe('a');
  });

  test('refuses an invalid new name and keeps the old one', () => {
    const { table, sessions } = tableWith('a');
    expect(codeOf(() => table.rename(sessions[0] as unknown as Session, 'has space'))).toBe('invalid-name');
    expect(sessions[0]!.name).toBe('a');
  });
});

describe('SessionTable: a session that exited leaves a trace', () => {
  const messageOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      return (err as Error).message;
    }
    return 'no error';
  };

  test('resolving an exited name says it exited, when, and with what status', () => {
    let now = 1_000_000;
    const { table, sessions } = tableAt(() => now, 'build');
    sessions[0]!.end(3);
    now += 5 * 60_000;
    expect(codeOf(() => table.resolve('build'))).toBe('no-such-session');
    expect(messageOf(() => table.resolve('build'))).toMatch(/^session build exited 5 min ago \(1970-01-01T00:16:40.000Z\) with status 3;/);
    expect(table.exited()).toEqual([{ id: 'id0', name: 'build', exitedAt: 1_000_000, code: 3, signal: undefined }]);
  });

  test('- names the last attached session even after it exited, by a signal', () => {
    const { table, sessions } = tableWith('a');
    table.markAttached(sessions[0] as unknown as Session);
    sessions[0]!.end(0, 9);
    expect(messageOf(() => table.resolve('-'))).toMatch(/^the last attached session, session a exited .* with signal 9;/);
    expect(table.last()).toBeUndefined();
  });

  test('forgets exits after an hour', () => {
    let now = 0;
    const { table, sessions } = tableAt(() => now, 'a');
    sessions[0]!.end();
    now += EXIT_MEMORY_MS + 1;
    expect(table.exited()).toEqual([]);
    expect(messageOf(() => table.resolve('a'))).toMatch(/^no session named a;/);
  });

  test('keeps at most EXIT_MEMORY_MAX exits, dropping the oldest', () => {
    const names = Array.from({ length: EXIT_MEMORY_MAX + 5 }, (_, i) => `s${i}`);
    const { table, sessions } = tableWith(...names);
    for (const s of sessions) s.end();
    const exited = table.exited();
    expect(exited).toHaveLength(EXIT_MEMORY_MAX);
    expect(exited[0]!.name).toBe('s5');
  });
});

describe('spawn turns', () => {
  test('come one at a time, in order, and work queued after one spawn runs before the next', async () => {
    const table = new SessionTable();
    const events: string[] = [];
    const spawned = await Promise.all(
      [1, 2, 3].map((n) =>
        table.inSpawnTurn(() => {
          events.push(`spawn ${n}`);
          // what a connection's I/O stands for: queued behind this spawn, served before the next
          setImmediate(() => events.push(`io after ${n}`));
          return n;
        }),
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(spawned).toEqual([1, 2, 3]);
    expect(events).toEqual(['spawn 1', 'io after 1', 'spawn 2', 'io after 2', 'spawn 3', 'io after 3']);
  });

  test('a spawn that throws rejects its own turn only', async () => {
    const table = new SessionTable();
    const first = table.inSpawnTurn(() => {
      throw new Error('spawn failed');
    });
    const second = table.inSpawnTurn(() => 'made');
    await expect(first).rejects.toThrow('spawn failed');
    await expect(second).resolves.toBe('made');
  });
});
