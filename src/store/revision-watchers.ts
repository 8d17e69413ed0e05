/**
 * The set of watch() callbacks of one store instance. Calls them at most once per revision and
 * only for revisions newer than the last one seen, whatever the source (own write, poll, NOTIFY).
 */
export class RevisionWatchers {
  private readonly callbacks = new Set<(revision: number) => void>();
  private lastSeen: number | null = null;

  constructor(private readonly onError: (err: unknown) => void) {}

  get size(): number {
    return this.callbacks.size;
  }

  /** Adds a callback; returns the function that removes it. */
  add(callback: (revision: number) => void): () => void {
    // A fresh wrapper per call, so the same function watched twice unsubscribes independently.
    const entry = (revision: number): void => callback(revision);
    this.callbacks.add(entry);
    return () => {
      this.callbacks.delete(entry);
    };
  }

  /** Records a revision as already known, without calling anyone (the baseline at subscribe time). */
  observe(revision: number): void {
    if (this.lastSeen === null || revision > this.lastSeen) this.lastSeen = revision;
  }

  /** Forgets the baseline, so the next subscriber starts from a fresh one. */
  reset(): void {
    this.lastSeen = null;
  }

  /** Calls every callback when revision is newer than anything seen so far. */
  publish(revision: number): void {
    if (this.lastSeen !== null && revision <= this.lastSeen) return;
    this.lastSeen = revision;
    for (const callback of [...this.callbacks]) {
      try {
        callback(revision);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
