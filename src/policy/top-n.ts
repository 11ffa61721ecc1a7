/** One ranked candidate: the original tag and the value the policy compared. */
export interface Candidate {
  tag: string;
  value: string;
}

interface Entry<K> extends Candidate {
  key: K;
}

/**
 * The best `cap` candidates seen so far, best first, in O(1) for the common case of a
 * candidate worse than all kept ones (no full sort of a million tags for a top 10).
 * `ahead(x, y)` says whether newcomer key x ranks before the earlier key y; ties are
 * the policy's to decide (semver: first seen wins, numerical: last seen wins), so the
 * first entry is always exactly what the policy selects.
 */
export class TopN<K> {
  private readonly items: Entry<K>[] = [];
  /** Values of the kept entries: most retag calls are for values long since dropped. */
  private readonly kept = new Set<string>();
  constructor(
    private readonly cap: number,
    private readonly ahead: (x: K, y: K) => boolean,
  ) {}

  offer(tag: string, value: string, key: K): void {
    const items = this.items;
    const n = items.length;
    if (n === this.cap && !this.ahead(key, (items[n - 1] as Entry<K>).key)) return;
    let p = 0;
    while (p < n && !this.ahead(key, (items[p] as Entry<K>).key)) p++;
    items.splice(p, 0, { tag, value, key });
    this.kept.add(value);
    if (items.length > this.cap) this.kept.delete((items.pop() as Entry<K>).value);
  }

  /**
   * Gives the kept entry for `value`, if any, a later tag (Flux's map: the last tag of
   * a value wins). Only for callers that offer each value once.
   */
  retag(value: string, tag: string): void {
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
    return this.items.map(({ tag, value }) => ({ tag, value }));
  }
}
