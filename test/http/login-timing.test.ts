// Timing neutrality of the login endpoint: a wrong password for an existing account and any
// password for an unknown address both cost one argon2id verification, so the page cannot
// tell which addresses have accounts. Measured as the ratio of medians of interleaved
// samples, which stays steady on a busy machine where single timings do not.

import { afterAll, beforeAll, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  authorizeQuery,
  Browser,
  location,
  makeClient,
  makeUser,
} from "../helpers/authorize-flow.ts";

const SAMPLES = 15;
let t: TestApp;

beforeAll(async () => {
  // Enough allowance that no sample is cut short by a lock.
  t = await buildTestApp({ LOGIN_MAX_FAILURES: "100", LOGIN_MAX_FAILURES_PER_IP: "1000" });
});

afterAll(async () => {
  await t?.close();
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

it("answers a wrong password and an unknown email in the same time (ratio of medians 0.67-1.5)", async () => {
  const clientId = await makeClient(t.app, { skipConsent: true });
  const user = await makeUser(t.app);
  const browser = new Browser(t.app);
  const start = await browser.get(authorizeQuery(clientId));
  const page = await browser.get(location(start).href);

  const time = async (email: string): Promise<number> => {
    const started = performance.now();
    const response = await browser.submit(page, { email, password: "not the password" });
    const elapsed = performance.now() - started;
    expect(response.statusCode).toBe(400);
    return elapsed;
  };

  // Warm-up: the first verifications pay for JIT and the argon2 worker threads.
  await time(user.email);
  await time("warm-up@example.com");

  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    // Alternating which goes first spreads any drift in machine load over both sides.
    if (i % 2 === 0) {
      known.push(await time(user.email));
      unknown.push(await time(`nobody-${i}@example.com`));
    } else {
      unknown.push(await time(`nobody-${i}@example.com`));
      known.push(await time(user.email));
    }
  }
  const ratio = median(known) / median(unknown);
  expect(ratio).toBeGreaterThan(0.67);
  expect(ratio).toBeLessThan(1.5);
});
