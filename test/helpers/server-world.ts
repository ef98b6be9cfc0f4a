import { afterAll, afterEach, beforeAll } from 'vitest';
import { makeServerWorld, type GrittyEnv } from './daemon.js';

interface Closable {
  close(): void;
}

/** One running daemon shared by the tests of a file, and what each test opened on it. */
export interface SharedServer {
  /** The daemon's world; made before the file's first test, removed after its last. */
  readonly world: GrittyEnv;
  /** Closes `thing` (a raw client, a child's handle) when the current test ends. */
  track<T extends Closable>(thing: T): T;
}

/** Registers the hooks that start one daemon for this test file and close what each test opened. */
export function sharedServer(): SharedServer {
  let world: GrittyEnv | undefined;
  const opened: Closable[] = [];
  beforeAll(() => {
    world = makeServerWorld();
  });
  afterEach(() => {
    for (const thing of opened.splice(0)) thing.close();
  });
  afterAll(() => world?.cleanup());
  return {
    get world(): GrittyEnv {
      if (world === undefined) throw new Error('the shared daemon is started in beforeAll: use it inside a test');
      return world;
    },
    track<T extends Closable>(thing: T): T {
      opened.push(thing);
      return thing;
    },
  };
}
