// The password policy where passwords are set: `user create` and `user set-password` (the
// operations behind the CLI and the admin API) refuse short, overlong and common passwords.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOperations, type Operations } from "../../server/operator/operations.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";

const COMMON =
  "This password is one of the most commonly used ones and easy to guess; choose another.";
let t: TestApp;
let ops: Operations;

beforeAll(async () => {
  t = await buildTestApp();
  const { db, config, kv, log, now } = t.app.deps;
  ops = createOperations({
    db,
    config,
    now,
    log,
    kek: () => Promise.reject(new Error("not needed")),
    kv: async () => kv,
  });
});

afterAll(async () => {
  await t?.close();
});

describe.each([
  ["user create", (email: string, password: string) => ops.userCreate({ email, password })],
  [
    "user set-password",
    async (email: string, password: string) => {
      await ops.userCreate({ email, password: "a fine first passphrase" }).catch(() => {});
      return ops.userSetPassword({ email, password });
    },
  ],
])("%s", (_, setPassword) => {
  let n = 0;
  const email = () => `policy-${++n}-${Date.now()}@example.com`;

  it.each([
    ["a common password", "iloveyou", COMMON],
    ["a common password in other case", "PassWord123", COMMON],
    ["seven characters", "7chars!", "The password must have at least 8 characters."],
    ["257 characters", "x".repeat(257), "The password must have at most 256 characters."],
  ])("refuses %s with invalid_request", async (_, password, message) => {
    await expect(setPassword(email(), password)).rejects.toMatchObject({
      error: "invalid_request",
      description: message,
    });
  });

  it("accepts 8 to 256 characters counted as characters, not bytes", async () => {
    await expect(setPassword(email(), "ünïcödé")).rejects.toThrow("at least 8");
    await expect(setPassword(email(), "ünïcödé!")).resolves.toMatchObject({});
    await expect(setPassword(email(), "ü".repeat(256))).resolves.toMatchObject({});
  });
});
