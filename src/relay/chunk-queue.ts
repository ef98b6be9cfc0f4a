/**
 * Bytes that arrived in chunks (socket reads), taken from the front. What lies within
 * one chunk is handed out as a view of it; only a piece that spans chunks is copied, and
 * then just its own bytes, so what follows stays where it arrived.
 */
export class ChunkQueue {
  private chunks: Buffer[] = [];
  private held = 0;

  /** Bytes held. */
  get length(): number {
    return this.held;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.held += chunk.length;
  }

  /** Takes the first `n` bytes (at most length) as one buffer. */
  take(n: number): Buffer {
    const first = this.chunks[0];
    this.held -= n;
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const wanted = n - filled;
      if (chunk.length <= wanted) {
        filled += chunk.copy(out, filled);
        this.chunks.shift();
      } else {
        filled += chunk.copy(out, filled, 0, wanted);
        this.chunks[0] = chunk.subarray(wanted);
      }
    }
    return out;
  }

  /** The first `n` bytes (at most length), left in place. */
  peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    const needed: Buffer[] = [];
    for (let have = 0; have < n; have += needed[needed.length - 1]!.length) needed.push(this.chunks[needed.length]!);
    return Buffer.concat(needed, n);
  }

  /** Moves up to `n` of the first bytes into `into` as views of their chunks; returns how many. */
  takeViews(n: number, into: Buffer[]): number {
    let moved = 0;
    while (moved < n && this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      const wanted = n - moved;
      if (chunk.length <= wanted) {
        this.chunks.shift();
        into.push(chunk);
        moved += chunk.length;
      } else {
        into.push(chunk.subarray(0, wanted));
        this.chunks[0] = chunk.subarray(wanted);
        moved += wanted;
      }
    }
    this.held -= moved;
    return moved;
  }

  /** Takes everything held, joined. */
  takeAll(): Buffer {
    const all = Buffer.concat(this.chunks, this.held);
    this.chunks = [];
    this.held = 0;
    return all;
  }
}
