// The load generator, run by load.ts in a process of its own so that it never shares an
// event loop with a target. It reads one plan as JSON on stdin, drives it for the plan's
// duration and prints one JSON result line. Single requests go through autocannon; flows
// (refresh chains, the code flow, logins) through undici, one connection per virtual client,
// each keeping its own state; argon2 measures the raw password-hash rate. With `cpu` in the
// plan it also reports the CPU each operation cost, by process (cpu.ts), over the timed window.

import argon2 from "argon2";
import autocannon from "autocannon";
import { type CpuPerOp, type CpuPlan, openCpuWindow } from "./cpu.ts";
import {
  Browser,
  browserAuthorize,
  codeFlow,
  pkce,
  refresh,
  signIn,
  type TargetSpec,
} from "./flows.ts";

interface Common {
  connections: number;
  duration: number;
  /** The target's server pids, whose CPU is reported with Postgres's, Redis's and ours. */
  cpu?: CpuPlan;
}

export type FlowPlan = Common & {
  kind: "refresh" | "code" | "login";
  target: TargetSpec;
};

export type Plan = Common &
  (
    | {
        kind: "http";
        url: string;
        method: "GET" | "POST";
        headers: Record<string, string>;
        body?: string;
      }
    | { kind: "refresh" | "code" | "login"; target: TargetSpec }
    | { kind: "argon2"; hash: string; password: string }
  );

export interface LoadResult {
  /** HTTP requests made in the timed window. */
  requests: number;
  /** Scenario operations: a request, or a whole flow for the flow scenarios. */
  ops: number;
  seconds: number;
  /** Latency of one operation, milliseconds. */
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
  /** Milliseconds of CPU per operation by process; only with `cpu` in the plan, on Linux. */
  cpu?: CpuPerOp;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

async function runHttp(plan: Extract<Plan, { kind: "http" }>): Promise<LoadResult> {
  const window = openCpuWindow(plan.cpu);
  const result = await autocannon({
    url: plan.url,
    method: plan.method,
    headers: plan.headers,
    body: plan.body,
    connections: plan.connections,
    duration: plan.duration,
  });
  const cpu = window?.end(result.requests.total);
  return {
    requests: result.requests.total,
    ops: result.requests.total,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    ...(cpu ? { cpu } : {}),
  };
}

/** Runs `op` in `connections` loops until the deadline, after an untimed `setup` each. */
async function runLoops<S>(
  { connections, duration, cpu: cpuPlan }: Common,
  setup: (index: number) => Promise<S>,
  op: (state: S) => Promise<{ state: S; requests: number }>,
  recover: (state: S) => Promise<S>,
  release: (state: S) => Promise<void>,
): Promise<LoadResult> {
  const states = await Promise.all(Array.from({ length: connections }, (_, i) => setup(i)));
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  let firstError: string | undefined;
  const window = openCpuWindow(cpuPlan);
  const started = performance.now();
  const deadline = started + duration * 1000;
  await Promise.all(
    states.map(async (initial) => {
      let state: S = initial as S;
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          const done = await op(state);
          state = done.state;
          requests += done.requests;
          latencies.push(performance.now() - t0);
        } catch (err) {
          errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
          state = await recover(state);
        }
      }
      await release(state);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = window?.end(latencies.length);
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests,
    ops: latencies.length,
    seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    ...(cpu ? { cpu } : {}),
  };
}

interface Chain {
  browser: Browser;
  token: string;
}

function runRefresh(plan: FlowPlan): Promise<LoadResult> {
  const { target } = plan;
  const start = async (browser: Browser): Promise<Chain> => {
    const tokens = await signIn(browser, target);
    if (!tokens.refresh_token) throw new Error(`${target.name} issued no refresh token`);
    return { browser, token: tokens.refresh_token };
  };
  return runLoops<Chain>(
    plan,
    () => start(new Browser(target.origin)),
    async (chain) => {
      const tokens = await refresh(chain.browser, target, chain.token);
      if (!tokens.refresh_token) throw new Error("no rotated refresh token");
      return { state: { ...chain, token: tokens.refresh_token }, requests: 1 };
    },
    (chain) => start(chain.browser),
    (chain) => chain.browser.close(),
  );
}

function runCode(plan: FlowPlan): Promise<LoadResult> {
  const { target } = plan;
  return runLoops<Browser>(
    plan,
    async () => {
      const browser = new Browser(target.origin);
      await signIn(browser, target);
      return browser;
    },
    async (browser) => {
      await codeFlow(browser, target);
      return { state: browser, requests: 2 };
    },
    async (browser) => browser,
    (browser) => browser.close(),
  );
}

function runLogin(plan: FlowPlan): Promise<LoadResult> {
  const { target } = plan;
  return runLoops<Browser>(
    plan,
    async () => new Browser(target.origin),
    async (browser) => {
      // A browser without a session: authorize, the login page, the password, the code.
      browser.cookies.clear();
      const { requests } = await browserAuthorize(browser, target, pkce().challenge);
      return { state: browser, requests };
    },
    async (browser) => browser,
    (browser) => browser.close(),
  );
}

function runArgon2(plan: Extract<Plan, { kind: "argon2" }>): Promise<LoadResult> {
  return runLoops<null>(
    plan,
    async () => null,
    async () => {
      if (!(await argon2.verify(plan.hash, plan.password))) throw new Error("argon2 mismatch");
      return { state: null, requests: 0 };
    },
    async () => null,
    async () => {},
  );
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
const plan = JSON.parse(input) as Plan;
const run = {
  http: runHttp,
  refresh: runRefresh,
  code: runCode,
  login: runLogin,
  argon2: runArgon2,
} as const;
const result = await (run[plan.kind] as (plan: Plan) => Promise<LoadResult>)(plan);
process.stdout.write(`${JSON.stringify(result)}\n`);
