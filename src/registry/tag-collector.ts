/**
 * Accumulates tags page by page, keeping the registry's order and dropping duplicates.
 *
 * Why not a plain Set loop: a one-shot `policy test --image` runs this code cold, where a
 * JavaScript loop of 20,000 `has`/`add`/`push` costs 10-25 ms. So the common cases use
 * built-ins only: pages in strictly ascending order (distribution v3, GHCR, ECR) cannot
 * repeat a tag, which a comparison per tag proves; an unordered single page (older
 * distribution) is deduplicated by the Set constructor. Only an unordered second page takes
 * the per-tag loop.
 */
export class TagCollector {
  /** Ascending mode: the pages as received. */
  #pages: string[][] = [];
  #last: string | undefined;
  /** Set mode (after the first out-of-order page): distinct tags and their order. */
  #seen: Set<string> | undefined;
  #ordered: string[] = [];
  #finished = false;

  /** Adds one page (and takes ownership of the array); returns how many of its tags were new. */
  add(page: string[]): number {
    if (this.#finished) throw new Error("TagCollector: add() after finish()");
    if (this.#seen === undefined && ascendingAfter(this.#last, page)) {
      if (page.length > 0) {
        this.#pages.push(page);
        this.#last = page[page.length - 1];
      }
      return page.length;
    }
    if (this.#seen === undefined) {
      const before = this.#pages.flat();
      this.#pages = [];
      if (before.length === 0) {
        this.#seen = new Set(page);
        this.#ordered = this.#seen.size === page.length ? page : [...this.#seen];
        return this.#seen.size;
      }
      this.#seen = new Set(before);
      this.#ordered = before;
    }
    const seen = this.#seen;
    let fresh = 0;
    for (const t of page) {
      if (!seen.has(t)) {
        seen.add(t);
        this.#ordered.push(t);
        fresh++;
      }
    }
    return fresh;
  }

  /**
   * Distinct tags in first-seen order; ends the collection. The collector's own array when it
   * has one (no copy of 20,000 tags at the end of every listing), so no page may follow.
   */
  finish(): string[] {
    if (this.#finished) throw new Error("TagCollector: finish() was already called");
    this.#finished = true;
    if (this.#seen !== undefined) return this.#ordered;
    return this.#pages.length === 1 ? (this.#pages[0] as string[]) : this.#pages.flat();
  }
}

function ascendingAfter(last: string | undefined, page: readonly string[]): boolean {
  if (page.length === 0) return true;
  const first = page[0] as string;
  if (last !== undefined && !(last < first)) return false;
  for (let i = 1; i < page.length; i++) {
    if (!((page[i - 1] as string) < (page[i] as string))) return false;
  }
  return true;
}
