/**
 * A clock for the protective client and the pause between views that never waits: each sleep is
 * recorded and moves the clock on by its length at once. What a policy decided is then read from
 * `sleeps` and from the times the source's state was stamped with, not from the wall clock.
 */
import type { SourceClock } from '../../src/pipeline/source.js';

export class FakeClock implements SourceClock {
  /** Every wait asked for, in ms, in order. */
  readonly sleeps: number[] = [];
  private current: number;

  /** Starts at `start` (epoch ms), by default the real time now, so stored times stay plausible. */
  constructor(start = Date.now()) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Moves the clock on without a sleep (time passing between two runs). */
  advance(ms: number): void {
    this.current += ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.current += ms;
    // Let whatever else is running take its turn, as it would while a real timer runs.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
