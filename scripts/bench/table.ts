// Printing: one line per measurement as it finishes, the final table with the ratios, and
// what one operation costs in CPU, by process.

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
  const cpu = result.cpu
    ? `  CPU/op: server ${fixed(result.cpu.target, 2)} ms, postgres ${fixed(result.cpu.postgres, 2)}` +
      `, redis ${fixed(result.cpu.redis, 2)}, driver ${fixed(result.cpu.driver, 2)}`
    : "";
  const error = result.firstError ? `  first error: ${result.firstError}` : "";
  return (
    `  ${m.label.padEnd(16)} ${perSecond.padStart(16)}${requests}  p50 ${fixed(result.p50, 1)} ms` +
    `  p99 ${fixed(result.p99, 1)} ms  errors ${result.errors}${rss}${cpu}${error}`
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

/** Header, separator and rows, each column as wide as its widest cell. */
function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const separator = widths.map((w) => "-".repeat(w));
  return [header, separator, ...rows].map((cells) => row(cells, widths)).join("\n");
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
  return markdownTable(header, rows);
}

export const CPU_TABLE_TITLE = "CPU per operation (ms)";

/**
 * Milliseconds of CPU one operation costs in each process, from the same measurements as the
 * final table. Each total is the sum of the columns beside it: the peer's leaves Postgres out
 * (it does not use it; the measurement lines still show what Postgres did meanwhile), a
 * ceiling's is its server and the driver.
 */
export function cpuTable(outcomes: ScenarioOutcome[], rsaMs: number): string {
  const ms = (value: number | undefined) => (value === undefined ? "" : fixed(value, 2));
  const header = [
    "scenario",
    "Latchkey server",
    "postgres",
    "redis",
    "driver",
    "total",
    "peer server",
    "redis",
    "driver",
    "total",
    "ceiling server",
    "total",
  ];
  const rows = outcomes.map(({ scenario, latchkey, peer, reference }) => {
    const lk = latchkey.result.cpu;
    const op = peer?.result.cpu;
    // The argon2 reference runs in the driver and reports no CPU: its cells stay empty.
    const ceiling = reference?.result.cpu;
    return [
      scenario.title,
      ms(lk?.target),
      ms(lk?.postgres),
      ms(lk?.redis),
      ms(lk?.driver),
      ms(lk && lk.target + lk.postgres + lk.redis + lk.driver),
      ms(op?.target),
      ms(op?.redis),
      ms(op?.driver),
      ms(op && op.target + op.redis + op.driver),
      ms(ceiling?.target),
      ms(ceiling && ceiling.target + ceiling.driver),
    ];
  });
  return [
    CPU_TABLE_TITLE,
    "",
    markdownTable(header, rows),
    "",
    `${rsaSignatureLine(rsaMs)}; two signatures per refresh and per code flow = ` +
      `${fixed(2 * rsaMs, 2)} ms`,
  ].join("\n");
}

export function rsaSignatureLine(rsaMs: number): string {
  return (
    `RSA-2048 signature: ${fixed(rsaMs, 2)} ms of CPU ` +
    `(${fixed(rsaMs > 0 ? 1000 / rsaMs : 0)}/s on one core)`
  );
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
  return markdownTable(header, rows);
}
