export interface QuietCollectorOptions {
  /** How long nothing may happen before a collection runs. */
  quietMs: number;
  /** Heap growth since the last collection below which another is not worth its pause. */
  minGrowthBytes: number;
  /** When a session last had input or output (Date.now() time): a pause then would show. */
  lastActivity(): number;
  heapUsed(): number;
  /** A full garbage collection (V8's `gc()`, which pauses the daemon ~20 ms). */
  collect(): void;
  /** Told the heap before and after each collection. */
  collected(before: number, after: number): void;
}

/**
 * Runs a full garbage collection once the daemon has gone quiet after requests. V8
 * collects its old generation only when it fills, so the garbage a burst of requests
 * leaves (a hundred `gritty new`: ~25 KiB resident per session) used to stay resident
 * for the daemon's life (docs/MEMORY.md). The first quiet moment always collects: that
 * also starts V8's memory reducer, which then gives back what start-up left. A
 * session's keystrokes and output put the collection off, so its pause does not land
 * in the middle of typing or a stream.
 */
export class QuietCollector {
  private timer: NodeJS.Timeout | undefined;
  private stirredAt = 0;
  /** Sessions were made or ended since the last collection: collect whatever the growth. */
  private due = false;
  /** The heap after the last collection, or lower where V8 has since left it; none before the first. */
  private floor: number | undefined;

  constructor(private readonly options: QuietCollectorOptions) {}

  /** Something left garbage behind (a request served, a connection closed, a session ended). */
  arm(): void {
    this.stirredAt = Date.now();
    this.timer ??= this.schedule(this.options.quietMs);
  }

  /**
   * Sessions were made or ended. Besides their garbage, a burst of them grows V8's young
   * generation, which only a collection once the daemon is quiet shrinks back; a heap
   * that V8 itself collected during the burst could look too little grown to earn one.
   */
  armForSessions(): void {
    this.due = true;
    this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.check(), ms);
    timer.unref();
    return timer;
  }

  private check(): void {
    this.timer = undefined;
    const { quietMs } = this.options;
    const wait = Math.max(this.stirredAt, this.options.lastActivity()) + quietMs - Date.now();
    if (wait > 0) {
      this.timer = this.schedule(Math.min(wait, quietMs));
      return;
    }
    const before = this.options.heapUsed();
    if (this.floor !== undefined && !this.due) {
      this.floor = Math.min(this.floor, before);
      if (before - this.floor < this.options.minGrowthBytes) return;
    }
    this.due = false;
    this.options.collect();
    this.floor = this.options.heapUsed();
    this.options.collected(before, this.floor);
  }
}
