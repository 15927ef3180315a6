// Starts the ceilings process (ceilings-server.ts).

import { type Child, freePort, startNode } from "./processes.ts";

export interface Ceilings {
  origin: string;
  process: Child;
  close(): Promise<void>;
}

export async function startCeilings(): Promise<Ceilings> {
  const port = await freePort();
  const child = await startNode(
    "scripts/bench/ceilings-server.ts",
    { BENCH_PORT: String(port) },
    (output) => output.includes('"ready":true'),
  );
  return { origin: `http://127.0.0.1:${port}`, process: child, close: () => child.stop() };
}
