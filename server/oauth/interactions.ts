// An interaction is a validated authorization request waiting for the user: the login and
// consent pages work on it by id, so the request's parameters never have to travel through
// the pages again (where they could be altered). It lives in the shared store, so any
// instance can serve any step, under the digest of its id, for INTERACTION_TTL at most, and
// it is taken atomically when the request completes, so a form submitted twice completes
// the request once.

import type { KvStore } from "../store/kv/types.ts";
import { digestToken, generateOpaqueToken } from "../tokens/opaque.ts";
import type { AuthorizationRequest } from "./authorize-request.ts";

/** Long enough to type a password and read a consent page; an abandoned request then dies. */
export const INTERACTION_TTL = 600;

export interface Interaction {
  request: AuthorizationRequest;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** The sid of the session started by a login within this interaction, if any. */
  loginSid: string | null;
}

const INTERACTION_ID = /^[A-Za-z0-9_-]{43}$/;
const interactionKey = (id: string) => `interaction:${digestToken(id)}`;

function remainingSeconds(interaction: Interaction, now: Date): number {
  return INTERACTION_TTL - (now.getTime() - interaction.createdAt) / 1000;
}

export async function createInteraction(
  kv: KvStore,
  request: AuthorizationRequest,
  now: Date,
): Promise<string> {
  const id = generateOpaqueToken();
  const interaction: Interaction = { request, createdAt: now.getTime(), loginSid: null };
  await kv.set(interactionKey(id), JSON.stringify(interaction), INTERACTION_TTL);
  return id;
}

export async function findInteraction(
  kv: KvStore,
  id: string,
  now: Date,
): Promise<Interaction | null> {
  if (!INTERACTION_ID.test(id)) return null;
  const stored = await kv.get(interactionKey(id));
  if (stored === null) return null;
  const interaction = JSON.parse(stored) as Interaction;
  return remainingSeconds(interaction, now) > 0 ? interaction : null;
}

/** Notes the session a login within the interaction started (prompt=login, max_age). */
export async function recordInteractionLogin(
  kv: KvStore,
  id: string,
  interaction: Interaction,
  sid: string,
  now: Date,
): Promise<void> {
  const remaining = remainingSeconds(interaction, now);
  if (remaining <= 0) return;
  await kv.set(interactionKey(id), JSON.stringify({ ...interaction, loginSid: sid }), remaining);
}

/** Removes the interaction; true for exactly one caller, so a request completes once. */
export async function finishInteraction(kv: KvStore, id: string): Promise<boolean> {
  if (!INTERACTION_ID.test(id)) return false;
  return (await kv.take(interactionKey(id))) !== null;
}
