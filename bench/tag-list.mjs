// The deterministic tag list of the policy benchmarks (policy-test, policy-pool), as
// deps-node20.md §1 describes a busy repository: 80% main-<7hex>-<ts>, 10% vX.Y.Z, 10% feature-….
// One generator, so both benchmarks select over the very same tags.

/** `n` tags from a fixed seed: the same list on every run. */
export function generateTags(n) {
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const hex = () =>
    Math.floor(rnd() * 0x10000000)
      .toString(16)
      .padStart(7, "0");
  const tags = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.8) tags[i] = `main-${hex()}-${1600000000 + Math.floor(rnd() * 200000000)}`;
    else if (r < 0.9)
      tags[i] = `v${Math.floor(rnd() * 10)}.${Math.floor(rnd() * 50)}.${Math.floor(rnd() * 100)}`;
    else tags[i] = `feature-${hex()}-${Math.floor(rnd() * 1000)}`;
  }
  return tags;
}
