// Plain-text tables and failure lists for the evaluation's console report.

export function printTable(rows: readonly string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  rows.forEach((row, index) => {
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
    if (index === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

export function printFailures(
  title: string,
  misses: readonly string[],
  falseAlarms: readonly string[],
): void {
  if (misses.length === 0 && falseAlarms.length === 0) return;
  console.log(`-- ${title}`);
  for (const m of misses) console.log(`   missed     ${m}`);
  for (const f of falseAlarms) console.log(`   false pos  ${f}`);
}
