import { describe, expect, test } from 'vitest';
import { planReplay } from '../../src/server/replay.js';

describe('planReplay', () => {
  const ring = { start: 1000, end: 5000 };

  test('plans a fresh attach when the client has no offset', () => {
    expect(planReplay(ring, undefined)).toEqual({ kind: 'fresh' });
  });

  test('resumes from the client offset when the ring still holds it', () => {
    expect(planReplay(ring, 3000)).toEqual({ kind: 'resume', from: 3000 });
  });

  test('resumes at the oldest held byte and at the end, both inclusive', () => {
    expect(planReplay(ring, 1000)).toEqual({ kind: 'resume', from: 1000 });
    expect(planReplay(ring, 5000)).toEqual({ kind: 'resume', from: 5000 });
  });

  test('plans a repaint naming how many bytes were lost when the offset fell out of the ring', () => {
    expect(planReplay(ring, 999)).toEqual({ kind: 'repaint', lost: 1 });
    expect(planReplay(ring, 0)).toEqual({ kind: 'repaint', lost: 1000 });
  });

  test('treats an offset beyond the end (another daemon, a restarted session) as a fresh attach', () => {
    expect(planReplay(ring, 5001)).toEqual({ kind: 'fresh' });
  });

  test('resumes at 0 in an empty ring', () => {
    expect(planReplay({ start: 0, end: 0 }, 0)).toEqual({ kind: 'resume', from: 0 });
  });
});
