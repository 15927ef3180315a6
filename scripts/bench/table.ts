// Printing: one line per measurement as it finishes, and the final table with the ratios.

import type { LoadResult } from "./driver.ts";
import type { Scenario } from "./scenarios.ts";

export interface Measurement {
  label: string;
  result: LoadResult;
  rssMiB?: number | null;
}

export interface ScenarioOutcome {
  scenario: Scenario;
  latchkey: Measurement;
  peer: Measurement | null;
  reference: Measurement | null;
}

/** Operations per second: requests, flows or logins, as the scenario's unit says. */
export function rate(result: LoadResult): number {
  return result.seconds > 0 ? result.ops / result.seconds : 0;
}

function fixed(value: number, digits = 0): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function describe(scenario: Scenario, m: Measurement): string {
  const { result } = m;
  const perSecond = `${fixed(rate(result))} ${scenario.unit}/s`;
  const requests =
    scenario.unit === "req" || result.requests === 0
      ? ""
      : ` (${fixed(result.requests / result.seconds)} req/s)`;
  const rss = m.rssMiB ? `  RSS ${m.rssMiB} MiB` : "";
  const error = result.firstError ? `  first error: ${result.firstError}` : "";
  return (
    `  ${m.label.padEnd(16)} ${perSecond.padStart(16)}${requests}  p50 ${fixed(result.p50, 1)} ms` +
    `  p99 ${fixed(result.p99, 1)} ms  errors ${result.errors}${rss}${error}`
  );
}

function ratio(a: Measurement | null, b: Measurement | null): string {
  if (!a || !b) return "";
  const denominator = rate(b.result);
  return denominator > 0 ? `${fixed((100 * rate(a.result)) / denominator)} %` : "";
}

function row(cells: string[], widths: number[]): string {
  return `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`;
}

/** A Markdown table, so that the README can carry it as printed. */
export function finalTable(outcomes: ScenarioOutcome[]): string {
  const header = [
    "scenario",
    "unit",
    "Latchkey /s",
    "p50 ms",
    "p99 ms",
    "err",
    "RSS MiB",
    "peer /s",
    "p50 ms",
    "p99 ms",
    "err",
    "Latchkey/peer",
    "ceiling or reference /s",
    "Latchkey/ceiling",
  ];
  const rows = outcomes.map(({ scenario, latchkey, peer, reference }) => [
    scenario.title,
    scenario.unit,
    fixed(rate(latchkey.result)),
    fixed(latchkey.result.p50, 1),
    fixed(latchkey.result.p99, 1),
    String(latchkey.result.errors),
    latchkey.rssMiB ? String(latchkey.rssMiB) : "",
    peer ? fixed(rate(peer.result)) : "",
    peer ? fixed(peer.result.p50, 1) : "",
    peer ? fixed(peer.result.p99, 1) : "",
    peer ? String(peer.result.errors) : "",
    ratio(latchkey, peer),
    reference ? `${fixed(rate(reference.result))} (${reference.label})` : "",
    ratio(latchkey, reference),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return [
    row(header, widths),
    row(
      widths.map((w) => "-".repeat(w)),
      widths,
    ),
    ...rows.map((r) => row(r, widths)),
  ].join("\n");
}

export interface ScaleOutcome {
  scenario: Scenario;
  empty: Measurement;
  seeded: Measurement;
}

export function scaleTable(outcomes: ScaleOutcome[]): string {
  const header = [
    "scenario",
    "empty /s",
    "empty p50 ms",
    "empty p99 ms",
    "seeded /s",
    "seeded p50 ms",
    "seeded p99 ms",
    "p50 change",
    "err",
  ];
  const rows = outcomes.map(({ scenario, empty, seeded }) => [
    scenario.title,
    fixed(rate(empty.result)),
    fixed(empty.result.p50, 1),
    fixed(empty.result.p99, 1),
    fixed(rate(seeded.result)),
    fixed(seeded.result.p50, 1),
    fixed(seeded.result.p99, 1),
    empty.result.p50 > 0
      ? `${seeded.result.p50 >= empty.result.p50 ? "+" : ""}${fixed((100 * (seeded.result.p50 - empty.result.p50)) / empty.result.p50)} %`
      : "",
    String(seeded.result.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return [
    row(header, widths),
    row(
      widths.map((w) => "-".repeat(w)),
      widths,
    ),
    ...rows.map((r) => row(r, widths)),
  ].join("\n");
}
