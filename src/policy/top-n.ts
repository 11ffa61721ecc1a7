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
    if (items.length > this.cap) items.pop();
  }

  get size(): number {
    return this.items.length;
  }

  list(): Candidate[] {
    return this.items.map(({ tag, value }) => ({ tag, value }));
  }
}
