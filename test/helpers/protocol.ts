import { createConnection, type Socket } from 'node:net';
import { decode, encode } from '../../src/relay/codec.js';
import { FrameDecoder, frameHeader } from '../../src/relay/frame.js';
import { CLIENT_CAPABILITIES, PROTOCOL_VERSION, type Message, type MessageOf, type MessageType } from '../../src/relay/messages.js';
import { validate } from '../../src/relay/validate.js';

/** Polls `predicate` until it returns a truthy value or the time is up; no fixed sleeps. */
export async function waitFor<T>(predicate: () => T | Promise<T>, options: { timeoutMs?: number; what?: string; everyMs?: number } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${options.what ?? 'a condition'}${last === undefined ? '' : `: ${String(last)}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 20));
  }
}

/** Builds one frame from any value, valid message or not: the project's own encode and header. */
export function frameOf(value: unknown): Buffer {
  const body = encode(value);
  return Buffer.concat([frameHeader(body.length), body]);
}

export function helloOf(version = PROTOCOL_VERSION): MessageOf<'hello'> {
  return { type: 'hello', version, caps: [...CLIENT_CAPABILITIES], deviceId: 'test-device', clientName: 'raw-test-client' };
}

/**
 * A client speaking the wire protocol by hand, for tests that need to send what the
 * real client never would. Everything the daemon sends is decoded and validated, so
 * a malformed reply fails the test. Close it in afterEach.
 */
export class RawClient {
  private readonly decoder = new FrameDecoder();
  private readonly inbox: Message[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  /** A frame from the daemon that did not decode or validate. */
  protocolError: Error | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const body of this.decoder.push(chunk)) this.inbox.push(validate(decode(body)));
      } catch (err) {
        this.protocolError = err as Error;
      }
      this.wake?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.wake?.();
        resolve();
      }),
    );
  }

  static connect(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Connects and completes the handshake. */
  static async open(path: string, version = PROTOCOL_VERSION): Promise<{ client: RawClient; ack: MessageOf<'hello-ack'> }> {
    const client = await RawClient.connect(path);
    client.send(helloOf(version));
    const ack = await client.expect('hello-ack');
    return { client, ack };
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** Messages received and not yet taken. */
  get pending(): readonly Message[] {
    return this.inbox;
  }

  send(value: unknown): void {
    this.socket.write(frameOf(value));
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next message, or undefined when the connection closed first. */
  async next(timeoutMs = 10_000): Promise<Message | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      if (this.protocolError !== undefined) throw this.protocolError;
      if (this.ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message from the daemon within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.inbox.shift();
  }

  async expect<T extends MessageType>(type: T, timeoutMs = 10_000): Promise<MessageOf<T>> {
    const msg = await this.next(timeoutMs);
    if (msg?.type !== type) throw new Error(`expected ${type}, got ${msg === undefined ? 'the connection closing' : JSON.stringify(summary(msg))}`);
    return msg as MessageOf<T>;
  }

  /** Skips messages until one of `type` comes; the skipped ones are returned too. */
  async until<T extends MessageType>(type: T, timeoutMs = 10_000): Promise<{ msg: MessageOf<T>; skipped: Message[] }> {
    const deadline = Date.now() + timeoutMs;
    const skipped: Message[] = [];
    for (;;) {
      const msg = await this.next(Math.max(1, deadline - Date.now()));
      if (msg === undefined) throw new Error(`connection closed while waiting for ${type}`);
      if (msg.type === type) return { msg: msg as MessageOf<T>, skipped };
      skipped.push(msg);
    }
  }

  /** Resolves when the daemon closes the connection; every message before that is returned. */
  async drainUntilClosed(timeoutMs = 10_000): Promise<Message[]> {
    const got: Message[] = [];
    for (;;) {
      const msg = await this.next(timeoutMs);
      if (msg === undefined) return got;
      got.push(msg);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Follows a session's output stream: keeps the bytes in order and checks that every
 * output frame starts exactly where the previous one ended.
 */
export class OutputTracker {
  readonly chunks: Buffer[] = [];
  offset: number;

  constructor(start: number) {
    this.offset = start;
  }

  /** Takes an output frame; throws if it does not continue the stream byte-exactly. */
  take(msg: MessageOf<'output'>): void {
    if (msg.offset !== this.offset) throw new Error(`output frame at ${msg.offset}, expected ${this.offset}`);
    this.chunks.push(Buffer.from(msg.data));
    this.offset += msg.data.length;
  }

  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.bytes.toString('utf8');
  }

  /** Reads output frames from `client` until `done(text so far)` holds. */
  async readUntil(client: RawClient, done: (text: string) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.text())) {
      const msg = await client.next(Math.max(1, deadline - Date.now()));
      if (msg === undefined) throw new Error(`connection closed; output so far: ${JSON.stringify(this.text().slice(-300))}`);
      if (msg.type === 'output') this.take(msg);
      else if (msg.type === 'ping') client.send({ type: 'pong', ts: msg.ts });
    }
  }
}

function summary(msg: Message): unknown {
  if ('data' in msg) return { ...msg, data: `<${msg.data.length} bytes>` };
  return msg;
}

/** Asks the daemon on `path` for a detached session running `command` (a login shell when undefined). */
export async function createSession(
  path: string,
  options: { name?: string; command?: string; cols?: number; rows?: number; timeoutMs?: number } = {},
): Promise<MessageOf<'created'>['session']> {
  const { client } = await RawClient.open(path);
  try {
    client.send({
      type: 'new',
      spec: { name: options.name, command: options.command, env: { TERM: 'xterm-256color', LANG: 'C.UTF-8' }, cols: options.cols ?? 80, rows: options.rows ?? 24 },
      attach: false,
    });
    return (await client.expect('created', options.timeoutMs)).session;
  } finally {
    client.close();
  }
}

/** The daemon's session list, by a raw `list` request. */
export async function listSessions(path: string): Promise<MessageOf<'sessions'>['sessions']> {
  const { client } = await RawClient.open(path);
  try {
    client.send({ type: 'list' });
    return (await client.expect('sessions')).sessions;
  } finally {
    client.close();
  }
}

/** Attaches a raw client to `target` (fresh, no repaint unless asked) and returns it with its `attached` reply. */
export async function attachRaw(
  path: string,
  target: string,
  options: { resume?: { token: string; offset: number }; repaint?: boolean; cols?: number; rows?: number } = {},
): Promise<{ client: RawClient; attached: MessageOf<'attached'> }> {
  const { client } = await RawClient.open(path);
  client.send({ type: 'attach', target, cols: options.cols ?? 80, rows: options.rows ?? 24, resume: options.resume, repaint: options.repaint ?? false });
  const reply = await client.next();
  if (reply?.type !== 'attached') {
    client.close();
    throw new Error(`attach ${target}: ${reply === undefined ? 'connection closed' : JSON.stringify(reply)}`);
  }
  return { client, attached: reply };
}
