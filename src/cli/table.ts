/**
 * Flux prints tables with tablewriter: upper-case headers, columns padded with spaces and
 * separated by a tab, no borders. We reproduce that shape so scripts parsing `flux get` output
 * keep working.
 */
export function renderTable(header: string[], rows: string[][], opts: { noHeader?: boolean } = {}): string {
  const all = opts.noHeader ? rows : [header.map((h) => h.toUpperCase()), ...rows];
  if (all.length === 0) return "";
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return `${all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join(" \t")
        .trimEnd(),
    )
    .join("\n")}\n`;
}
