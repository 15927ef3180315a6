// The command line of `npm run bench`.

export interface BenchOptions {
  /** Every scenario briefly, with few connections (the smoke test). */
  quick: boolean;
  /** Seconds each target is driven per scenario. */
  duration: number;
  /** Seconds of load before each measurement, not counted (0: none). */
  warmup: number;
  connections: number;
  /** Fill Postgres with this many rows and run the scale scenarios again. */
  seedScale: boolean;
  users: number;
  clients: number;
  families: number;
  /** Only these scenario ids (all when empty). */
  only: string[];
  /** Write CPU profiles of the Latchkey process into this folder. */
  profileDir: string | null;
}

export const USAGE = `Usage: npm run bench -- [options]

Benchmarks Latchkey (on Postgres and Redis) against node-oidc-provider and two ceilings
(a bare Fastify route, a Fastify route making one RS256 signature), taking turns, one
scenario at a time, and prints a table of requests/s, p50, p99, errors and ratios, then
(on Linux, from /proc) a table of the CPU milliseconds one operation costs in the server,
Postgres, Redis and the load driver, next to the measured cost of one RSA-2048 signature.

  --quick              every scenario for 2 s with 4 connections (the smoke test)
  --duration S         seconds per scenario and target (default 10)
  --connections N      concurrent connections (default 16)
  --warmup S           drive each target S seconds before each measurement, uncounted
                       (default 0): steady state rather than the first seconds after a
                       start or after the --seed-scale bulk load's checkpoint
  --only A,B           only these scenarios: ${"cc,introspect,jwks,userinfo,refresh,code,login"}
  --seed-scale         then load 1,000,000 users, 100,000 clients and 1,000,000 refresh
                       families into Postgres and run cc, refresh and code again
  --users N, --clients N, --families N
                       the seed sizes (defaults above)
  --cpu-prof DIR       write CPU profiles of the Latchkey process into DIR
  --help               this text
`;

export function parseArgs(argv: string[]): BenchOptions | "help" {
  const options: BenchOptions = {
    quick: false,
    duration: 10,
    warmup: 0,
    connections: 16,
    seedScale: false,
    users: 1_000_000,
    clients: 100_000,
    families: 1_000_000,
    only: [],
    profileDir: null,
  };
  let durationGiven = false;
  let connectionsGiven = false;
  const count = (name: string, value: string | undefined): number => {
    const n = Number(value);
    if (!value || !Number.isInteger(n) || n < 1) throw new Error(`${name} needs a whole number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case "--help":
      case "-h":
        return "help";
      case "--quick":
        options.quick = true;
        break;
      case "--seed-scale":
        options.seedScale = true;
        break;
      case "--duration":
        options.duration = count(arg, argv[++i]);
        durationGiven = true;
        break;
      case "--warmup":
        options.warmup = count(arg, argv[++i]);
        break;
      case "--connections":
        options.connections = count(arg, argv[++i]);
        connectionsGiven = true;
        break;
      case "--users":
        options.users = count(arg, argv[++i]);
        break;
      case "--clients":
        options.clients = count(arg, argv[++i]);
        break;
      case "--families":
        options.families = count(arg, argv[++i]);
        break;
      case "--only":
        options.only = (argv[++i] ?? "").split(",").filter(Boolean);
        break;
      case "--cpu-prof":
        options.profileDir = argv[++i] ?? null;
        if (!options.profileDir) throw new Error("--cpu-prof needs a folder");
        break;
      default:
        throw new Error(`unknown option ${arg} (see --help)`);
    }
  }
  if (options.quick) {
    if (!durationGiven) options.duration = 2;
    if (!connectionsGiven) options.connections = 4;
  }
  return options;
}
