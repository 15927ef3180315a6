// The scenarios: what each target is asked to do, as plans for the load driver. Every
// scenario runs Latchkey, then the peer, then its ceiling or reference, one after the other.

import type { Plan } from "./driver.ts";
import { basicAuth, type TargetSpec } from "./flows.ts";

export type ScenarioId = "cc" | "introspect" | "jwks" | "userinfo" | "refresh" | "code" | "login";

export const SCENARIO_IDS: readonly ScenarioId[] = [
  "cc",
  "introspect",
  "jwks",
  "userinfo",
  "refresh",
  "code",
  "login",
];

/** What a target brings to the scenarios besides its endpoints. */
export interface PreparedTarget {
  spec: TargetSpec;
  /** An access token that the target's userinfo and introspection accept. */
  accessToken: string;
}

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** What one operation is: a request, a flow of several requests, a login. */
  unit: "req" | "flow" | "login";
  plan(target: PreparedTarget): Omit<Plan, "connections" | "duration">;
  /** The ceiling or reference this scenario is compared with, if any. */
  reference?: { label: string; plan(refs: References): Omit<Plan, "connections" | "duration"> };
}

export interface References {
  ceilingsOrigin: string;
  /** An argon2id hash and its password, for the raw hash rate. */
  hash: string;
  password: string;
}

const FORM = "application/x-www-form-urlencoded";

export const SCENARIOS: readonly Scenario[] = [
  {
    id: "cc",
    title: "client_credentials",
    unit: "req",
    plan: ({ spec }) => ({
      kind: "http",
      url: `${spec.origin}${spec.paths.token}`,
      method: "POST",
      headers: { authorization: basicAuth(spec.machine), "content-type": FORM },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        scope: spec.machineScope,
      }).toString(),
    }),
    reference: {
      label: "Fastify+RS256",
      plan: ({ ceilingsOrigin }) => ({
        kind: "http",
        url: `${ceilingsOrigin}/rs256`,
        method: "POST",
        headers: {},
      }),
    },
  },
  {
    id: "introspect",
    title: "introspection",
    unit: "req",
    plan: ({ spec, accessToken }) => ({
      kind: "http",
      url: `${spec.origin}${spec.paths.introspect}`,
      method: "POST",
      headers: { authorization: basicAuth(spec.machine), "content-type": FORM },
      body: new URLSearchParams({ token: accessToken }).toString(),
    }),
  },
  {
    id: "jwks",
    title: "JWKS",
    unit: "req",
    plan: ({ spec }) => ({
      kind: "http",
      url: `${spec.origin}${spec.paths.jwks}`,
      method: "GET",
      headers: {},
    }),
    reference: {
      label: "bare Fastify",
      plan: ({ ceilingsOrigin }) => ({
        kind: "http",
        url: `${ceilingsOrigin}/bare`,
        method: "GET",
        headers: {},
      }),
    },
  },
  {
    id: "userinfo",
    title: "userinfo",
    unit: "req",
    plan: ({ spec, accessToken }) => ({
      kind: "http",
      url: `${spec.origin}${spec.paths.userinfo}`,
      method: "GET",
      headers: { authorization: `Bearer ${accessToken}` },
    }),
  },
  {
    id: "refresh",
    title: "refresh rotation",
    unit: "req",
    plan: ({ spec }) => ({ kind: "refresh", target: spec }),
  },
  {
    id: "code",
    title: "code flow (2 req)",
    unit: "flow",
    plan: ({ spec }) => ({ kind: "code", target: spec }),
  },
  {
    id: "login",
    title: "password login",
    unit: "login",
    plan: ({ spec }) => ({ kind: "login", target: spec }),
    reference: {
      label: "argon2id verify",
      plan: ({ hash, password }) => ({ kind: "argon2", hash, password }),
    },
  },
];
