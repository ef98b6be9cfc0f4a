import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { MAX_WAITING, TransferRoom, type LaptopWaiter, type SessionWaiter, type TransferRole } from '../../src/client/transfer-room.js';
import { waitFor } from '../helpers/wait.js';

/** A session helper's transfer channel arriving at the laptop, as the mux hands it over. */
async function fromSession(room: TransferRoom, role: TransferRole, about = 'report.pdf'): Promise<PassThrough> {
  const take = await room.accept({ role, about });
  // like a channel, the stream's end does not destroy it: only the room's watch for the end does
  const channel = new PassThrough({ autoDestroy: false });
  take(channel);
  return channel;
}

/** A laptop helper that takes (or declines) what it is proposed, and records it. */
function helper(role: TransferRole, answer: boolean | (() => boolean) = true): LaptopWaiter & { proposed: SessionWaiter[] } {
  const proposed: SessionWaiter[] = [];
  return {
    role,
    about: 'files',
    proposed,
    propose: async (peer) => {
      proposed.push(peer);
      return typeof answer === 'function' ? answer() : answer;
    },
  };
}

test('a session send waiting pairs with the laptop receive that comes later, never with another send', async () => {
  const room = new TransferRoom();
  const channel = await fromSession(room, 'send');
  const sender = helper('send');
  room.wait(sender);
  expect(sender.proposed).toEqual([]);
  expect(room.waiting).toEqual({ session: 1, laptop: 1 });
  const receiver = helper('receive');
  room.wait(receiver);
  await waitFor(() => receiver.proposed.length === 1, { what: 'the proposal' });
  expect(receiver.proposed[0]!.channel).toBe(channel);
  expect(receiver.proposed[0]!.about).toBe('report.pdf');
  expect(room.waiting).toEqual({ session: 0, laptop: 1 });
});

test('a laptop send waiting pairs with the session receive that comes later; the oldest waiter goes first', async () => {
  const room = new TransferRoom();
  const first = helper('send');
  const second = helper('send');
  room.wait(first);
  room.wait(second);
  const channel = await fromSession(room, 'receive');
  await waitFor(() => first.proposed.length === 1, { what: 'the proposal' });
  expect(first.proposed[0]!.channel).toBe(channel);
  expect(second.proposed).toEqual([]);
});

test('a session helper that gives up (its EOF, or its channel closing) leaves the room and is never proposed', async () => {
  const room = new TransferRoom();
  const ended = await fromSession(room, 'send');
  const closed = await fromSession(room, 'send');
  ended.end();
  closed.destroy();
  await waitFor(() => room.waiting.session === 0, { what: 'both to leave' });
  expect(ended.destroyed).toBe(true);
  const receiver = helper('receive');
  room.wait(receiver);
  expect(receiver.proposed).toEqual([]);
});

test('a laptop helper that declines (it took another session) puts the session helper back to wait for the next', async () => {
  const room = new TransferRoom();
  const channel = await fromSession(room, 'send');
  const elsewhere = helper('receive', false);
  room.wait(elsewhere);
  await waitFor(() => room.waiting.session === 1 && elsewhere.proposed.length === 1, { what: 'the decline' });
  const next = helper('receive');
  room.wait(next);
  await waitFor(() => next.proposed.length === 1, { what: 'the second proposal' });
  expect(next.proposed[0]!.channel).toBe(channel);
});

test('the room holds a bounded number on each side and says so', async () => {
  const room = new TransferRoom();
  for (let i = 0; i < MAX_WAITING; i++) await fromSession(room, 'send');
  await expect(room.accept({ role: 'send', about: 'one more' })).rejects.toMatchObject({ code: 'channel-refused', message: expect.stringMatching(/8 transfers from this session already wait/) });
  for (let i = 0; i < MAX_WAITING; i++) room.wait(helper('send'));
  expect(() => room.wait(helper('send'))).toThrow(/8 transfers already wait on this laptop/);
});

test('params from the session are checked: an unknown role or a description with control characters is refused', async () => {
  const room = new TransferRoom();
  await expect(room.accept({ role: 'steal', about: 'x' })).rejects.toMatchObject({ code: 'channel-refused', message: expect.stringMatching(/role/) });
  await expect(room.accept({ role: 'send', about: 'a\x1b]0;pwned\x07' })).rejects.toMatchObject({ code: 'channel-refused', message: expect.stringMatching(/control characters/) });
  await expect(room.accept({ role: 'send' })).rejects.toMatchObject({ code: 'channel-refused' });
});

test('once closed (the client ends) the room refuses both sides and ends the channels that waited', async () => {
  const room = new TransferRoom();
  const channel = await fromSession(room, 'send');
  room.close('the gritty client attached to devbox ended');
  expect(channel.destroyed).toBe(true);
  await expect(room.accept({ role: 'send', about: 'x' })).rejects.toThrow(/client attached to devbox ended/);
  expect(() => room.wait(helper('receive'))).toThrow(/client attached to devbox ended/);
});
