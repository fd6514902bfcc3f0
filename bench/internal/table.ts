/** Prints a titled, column-aligned table to stdout. */
export function printTable(title: string, header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  console.log(`\n${title}\n${'='.repeat(title.length)}`);
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));
}
