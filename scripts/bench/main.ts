// npm run bench: Latchkey and node-oidc-provider side by side, in one run on one machine,
// with the ceilings measured in the same run. See args.ts for the options and the README's
// "Performance" section for what the figures mean.

import os from "node:os";
import { createClient } from "redis";
import { type BenchOptions, parseArgs, USAGE } from "./args.ts";
import { type Ceilings, startCeilings } from "./ceilings.ts";
import { rsaSignatureMs } from "./cpu.ts";
import { Browser, basicAuth, signIn, type TargetSpec } from "./flows.ts";
import { type LatchkeyTarget, REDIS_URL, startLatchkey } from "./latchkey.ts";
import { type LoadResult, type Plan, runLoad } from "./load.ts";
import { type PeerTarget, startPeer } from "./peer.ts";
import {
  type PreparedTarget,
  type References,
  SCENARIO_IDS,
  SCENARIOS,
  type Scenario,
} from "./scenarios.ts";
import { seedScale } from "./seed.ts";
import {
  cpuTable,
  describe,
  finalTable,
  type Measurement,
  rsaSignatureLine,
  type ScaleOutcome,
  type ScenarioOutcome,
  scaleTable,
} from "./table.ts";

const print = (line = "") => process.stdout.write(`${line}\n`);

function machine(): string {
  const cpus = os.cpus();
  return (
    `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}, ` +
    `Node ${process.versions.node}`
  );
}

/** An access token from a real login and code flow, checked active at introspection. */
async function prepare(spec: TargetSpec, tokenSpec: TargetSpec = spec): Promise<PreparedTarget> {
  const browser = new Browser(spec.origin);
  try {
    const { access_token } = await signIn(browser, tokenSpec);
    const check = await browser.send("POST", spec.paths.introspect, {
      form: { token: access_token },
      headers: { authorization: basicAuth(spec.machine) },
    });
    if (check.status !== 200 || !(JSON.parse(check.body) as { active: boolean }).active) {
      throw new Error(`${spec.name} does not introspect its token: ${check.status} ${check.body}`);
    }
    return { spec, accessToken: access_token };
  } finally {
    await browser.close();
  }
}

function connectionsFor(scenario: Scenario, options: BenchOptions): number {
  // Logins are bound by argon2id on the libuv pool (4 threads): more virtual users only queue.
  return scenario.id === "login" ? Math.min(options.connections, 8) : options.connections;
}

/** The process a measurement drives: its pid for the CPU figures, and its memory. */
interface Measured {
  pid?: number | undefined;
  rss?: () => Promise<number | null>;
}

async function measure(
  label: string,
  plan: Omit<Plan, "connections" | "duration">,
  scenario: Scenario,
  options: BenchOptions,
  { pid, rss }: Measured = {},
): Promise<Measurement> {
  const connections = connectionsFor(scenario, options);
  if (options.warmup > 0) await runLoad({ ...plan, connections, duration: options.warmup } as Plan);
  const result: LoadResult = await runLoad({
    ...plan,
    connections,
    duration: options.duration,
    ...(pid === undefined ? {} : { cpu: { target: [pid] } }),
  } as Plan);
  const measurement: Measurement = { label, result, ...(rss ? { rssMiB: await rss() } : {}) };
  print(describe(scenario, measurement));
  return measurement;
}

async function deletePrefixes(prefixes: string[]): Promise<void> {
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  try {
    for (const prefix of prefixes) {
      const keys: string[] = [];
      for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
        keys.push(...batch);
      }
      for (let i = 0; i < keys.length; i += 1000) await redis.del(keys.slice(i, i + 1000));
    }
  } finally {
    redis.destroy();
  }
}

async function run(options: BenchOptions): Promise<void> {
  const started = performance.now();
  print(`Latchkey benchmark — ${new Date().toISOString()}`);
  print(`machine: ${machine()}`);
  // Before any target starts, so that nothing else in this process competes with it.
  const rsaMs = rsaSignatureMs();
  print(rsaSignatureLine(rsaMs));
  print(
    `${options.duration} s per scenario and target` +
      `${options.warmup > 0 ? ` after ${options.warmup} s of warm-up` : ""}, ` +
      `${options.connections} connections` +
      `${options.quick ? " (quick)" : ""}`,
  );
  const scenarios = SCENARIOS.filter(
    (s) => options.only.length === 0 || options.only.includes(s.id),
  );

  let latchkey: LatchkeyTarget | null = null;
  let peer: PeerTarget | null = null;
  let ceilings: Ceilings | null = null;
  let cleaned: Promise<void> | null = null;
  // Stops the processes, drops the database and deletes the Redis keys: at the end, and on
  // Ctrl-C, so that an interrupted run leaves nothing behind.
  const cleanUp = () => {
    cleaned ??= (async () => {
      const prefixes = [latchkey?.redisPrefix, peer?.redisPrefix].filter(
        (p): p is string => p !== undefined,
      );
      await ceilings?.close();
      await peer?.close();
      await latchkey?.close();
      await deletePrefixes(prefixes);
    })();
    return cleaned;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, cleaning up\n`);
      cleanUp().finally(() => process.exit(130));
    });
  }
  try {
    latchkey = await startLatchkey(options.profileDir ? { profileDir: options.profileDir } : {});
    peer = await startPeer({ ...latchkey.spec.user, passwordHash: latchkey.passwordHash });
    ceilings = await startCeilings();
    const lk = await prepare(latchkey.spec);
    const op = await prepare(peer.spec, peer.userinfoSpec);
    const refs: References = {
      ceilingsOrigin: ceilings.origin,
      hash: latchkey.passwordHash,
      password: latchkey.spec.user.password.normalize("NFKC"),
    };
    // Each target is `node script` spawned directly (processes.ts), no wrapper in between:
    // its pid is the server's, and its CPU is the server's.
    const latchkeyProcess: Measured = {
      pid: latchkey.process.child.pid,
      rss: latchkey.process.rssMiB,
    };
    const peerProcess: Measured = { pid: peer.process.child.pid };
    const ceilingsProcess: Measured = { pid: ceilings.process.child.pid };

    const outcomes: ScenarioOutcome[] = [];
    for (const scenario of scenarios) {
      print();
      print(`${scenario.title} [${scenario.unit}]`);
      const mine = await measure("Latchkey", scenario.plan(lk), scenario, options, latchkeyProcess);
      const theirs = await measure(
        "oidc-provider",
        scenario.plan(op),
        scenario,
        options,
        peerProcess,
      );
      const referencePlan = scenario.reference?.plan(refs);
      // The argon2 reference runs in the driver itself: it has no server to watch.
      const reference =
        scenario.reference && referencePlan
          ? await measure(
              scenario.reference.label,
              referencePlan,
              scenario,
              options,
              referencePlan.kind === "http" ? ceilingsProcess : {},
            )
          : null;
      outcomes.push({ scenario, latchkey: mine, peer: theirs, reference });
    }

    let scale: ScaleOutcome[] = [];
    if (options.seedScale) {
      print();
      print(
        `seeding ${options.users} users, ${options.clients} clients, ` +
          `${options.families} refresh families…`,
      );
      const timings = await seedScale(latchkey.db, options, latchkey.passwordHash);
      print(
        `  seeded in ${Object.entries(timings)
          .map(([table, seconds]) => `${table} ${seconds.toFixed(1)} s`)
          .join(", ")}`,
      );
      scale = [];
      for (const outcome of outcomes.filter((o) =>
        ["cc", "refresh", "code"].includes(o.scenario.id),
      )) {
        print(`${outcome.scenario.title} on the seeded database`);
        const seeded = await measure(
          "Latchkey seeded",
          outcome.scenario.plan(lk),
          outcome.scenario,
          options,
          latchkeyProcess,
        );
        scale.push({ scenario: outcome.scenario, empty: outcome.latchkey, seeded });
      }
    }

    print();
    print(`machine: ${machine()}`);
    print(finalTable(outcomes));
    if (outcomes.some((o) => o.latchkey.result.cpu)) {
      print();
      print(cpuTable(outcomes, rsaMs));
    } else {
      print();
      print(rsaSignatureLine(rsaMs));
    }
    if (scale.length > 0) {
      print();
      print(scaleTable(scale));
    }
    const errors = [
      ...outcomes.flatMap((o) => [o.latchkey, o.peer, o.reference]),
      ...scale.map((s) => s.seeded),
    ].reduce((sum, m) => sum + (m?.result.errors ?? 0), 0);
    print();
    print(`total errors: ${errors}`);
    print(`bench took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await cleanUp();
  }
}

let options: BenchOptions | "help";
try {
  options = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(2);
}
if (options === "help") {
  process.stdout.write(USAGE);
} else {
  if (options.only.some((id) => !(SCENARIO_IDS as readonly string[]).includes(id))) {
    process.stderr.write(`bench: --only takes ${SCENARIO_IDS.join(",")}\n`);
    process.exit(2);
  }
  await run(options);
}
