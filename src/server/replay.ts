/**
 * Where an attaching client's output stream starts, decided from the ring's bounds
 * and what the client says it has already rendered. Pure: Session carries it out.
 */
export type ReplayPlan =
  /** The client has everything before `from`; stream ring[from..]. */
  | { kind: 'resume'; from: number }
  /** The client's offset fell out of the ring: `lost` bytes are gone; repaint the screen. */
  | { kind: 'repaint'; lost: number }
  /** A fresh attach: paint the current screen, then stream. */
  | { kind: 'fresh' };

export interface RingBounds {
  start: number;
  end: number;
}

export function planReplay(ring: RingBounds, resumeOffset: number | undefined): ReplayPlan {
  if (resumeOffset === undefined || resumeOffset > ring.end) return { kind: 'fresh' };
  if (resumeOffset < ring.start) return { kind: 'repaint', lost: ring.start - resumeOffset };
  return { kind: 'resume', from: resumeOffset };
}
