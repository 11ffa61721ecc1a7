/** One ranked candidate: the original tag and the value the policy compared. */
export interface Candidate {
  tag: string;
  value: string;
}

interface Entry<K> extends Candidate {
  key: K;
  /** Arrival order, for the unbounded form's stable sort. */
  seq: number;
}

/**
 * The best `cap` candidates seen so far, best first, in O(1) for the common case of a
 * candidate worse than all kept ones (no full sort of a million tags for a top 10).
 * `ahead(x, y)` says whether newcomer key x ranks before the earlier key y; ties are
 * the policy's to decide (semver: first seen wins, numerical: last seen wins), so the
 * first entry is always exactly what the policy selects.
 * With `cap` Infinity (every candidate ranked, as the fact-based rules need) entries are
 * collected and sorted once, so ranking n candidates stays O(n log n).
 */
export class TopN<K> {
  private readonly items: Entry<K>[] = [];
  /** Values of the kept entries: most retag calls are for values long since dropped. */
  private readonly kept = new Set<string>();
  /** Unbounded form: value → entry, and whether items still need sorting. */
  private readonly byValue = new Map<string, Entry<K>>();
  private unsorted = false;
  constructor(
    private readonly cap: number,
    private readonly ahead: (x: K, y: K) => boolean,
  ) {}

  offer(tag: string, value: string, key: K): void {
    const items = this.items;
    const n = items.length;
    if (this.cap === Number.POSITIVE_INFINITY) {
      const entry = { tag, value, key, seq: n };
      items.push(entry);
      this.byValue.set(value, entry);
      this.unsorted = true;
      return;
    }
    if (n === this.cap && !this.ahead(key, (items[n - 1] as Entry<K>).key)) return;
    let p = 0;
    while (p < n && !this.ahead(key, (items[p] as Entry<K>).key)) p++;
    items.splice(p, 0, { tag, value, key, seq: n });
    this.kept.add(value);
    if (items.length > this.cap) this.kept.delete((items.pop() as Entry<K>).value);
  }

  /**
   * Gives the kept entry for `value`, if any, a later tag (Flux's map: the last tag of
   * a value wins). Only for callers that offer each value once.
   */
  retag(value: string, tag: string): void {
    const entry = this.byValue.get(value);
    if (entry) {
      entry.tag = tag;
      return;
    }
    if (!this.kept.has(value)) return;
    for (const item of this.items) {
      if (item.value === value) {
        item.tag = tag;
        return;
      }
    }
  }

  get size(): number {
    return this.items.length;
  }

  list(): Candidate[] {
    if (this.unsorted) {
      // Same places as the bounded form: a later entry goes before an earlier one only
      // when it is ahead of it.
      const ahead = this.ahead;
      this.items.sort((a, b) =>
        a.seq < b.seq ? (ahead(b.key, a.key) ? 1 : -1) : ahead(a.key, b.key) ? -1 : 1,
      );
      this.unsorted = false;
    }
    return this.items.map(({ tag, value }) => ({ tag, value }));
  }
}
