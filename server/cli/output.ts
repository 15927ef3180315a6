// Text output for people (without --json): aligned "label: value" blocks and simple tables.

export type Field = readonly [label: string, value: string | number | boolean | null | string[]];

function show(value: Field[1]): string {
  if (value === null) return "-";
  if (Array.isArray(value)) return value.length === 0 ? "(none)" : value.join(" ");
  if (typeof value === "boolean") return value ? "yes" : "no";
  return value === "" ? "(none)" : String(value);
}

export function formatFields(fields: readonly Field[]): string {
  const width = Math.max(...fields.map(([label]) => label.length)) + 1;
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${show(value)}`).join("\n");
}

export function formatTable(headers: readonly string[], rows: ReadonlyArray<Field[1][]>): string {
  const cells = [headers.map(String), ...rows.map((row) => row.map(show))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  return cells
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  "),
    )
    .join("\n");
}
