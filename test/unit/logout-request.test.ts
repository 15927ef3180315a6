// The rules of the logout request (RP-Initiated Logout 1.0 §2, §3), with the hint verifier
// and the client lookup replaced by tables.

import { describe, expect, it } from "vitest";
import { invalidRequest } from "../../server/errors.ts";
import type { IdTokenHint } from "../../server/oauth/id-token-hint.ts";
import {
  type LogoutRequestDeps,
  parseLogoutDecision,
  returnLocation,
  tiedToSession,
  validateLogoutRequest,
} from "../../server/oauth/logout-request.ts";
import type { RawParams } from "../../server/oauth/params.ts";

const BYE = "https://rp.example.com/bye";
const clients = {
  rp: { id: "rp", name: "RP", postLogoutRedirectUris: [BYE] },
  other: { id: "other", name: "Other", postLogoutRedirectUris: ["https://other.example/bye"] },
};
const hints: Record<string, IdTokenHint> = {
  "hint-rp": { sub: "u1", aud: ["rp"], azp: null, sid: "s1" },
  "hint-multi": { sub: "u1", aud: ["other", "rp"], azp: "rp", sid: "s1" },
  "hint-multi-no-azp": { sub: "u1", aud: ["other", "rp"], azp: null, sid: "s1" },
  "hint-deleted-client": { sub: "u1", aud: ["gone"], azp: null, sid: "s1" },
};
const deps: LogoutRequestDeps = {
  verifyHint: async (hint) => {
    const found = hints[hint];
    if (!found) throw invalidRequest("id_token_hint is not an ID token issued by this server.");
    return found;
  },
  findClient: async (id) => clients[id as keyof typeof clients] ?? null,
};

describe("validateLogoutRequest", () => {
  it.each<[string, RawParams, { client: string | null; redirectUri: string | null }]>([
    ["nothing at all", {}, { client: null, redirectUri: null }],
    [
      "client_id and a registered URI",
      { client_id: "rp", post_logout_redirect_uri: BYE },
      { client: "rp", redirectUri: BYE },
    ],
    [
      "the hint's audience and a registered URI",
      { id_token_hint: "hint-rp", post_logout_redirect_uri: BYE },
      { client: "rp", redirectUri: BYE },
    ],
    [
      "several audiences: azp",
      { id_token_hint: "hint-multi", post_logout_redirect_uri: BYE },
      { client: "rp", redirectUri: BYE },
    ],
    [
      "several audiences, no azp: no client",
      { id_token_hint: "hint-multi-no-azp", post_logout_redirect_uri: BYE },
      { client: null, redirectUri: null },
    ],
    [
      "several audiences and client_id among them",
      { id_token_hint: "hint-multi-no-azp", client_id: "rp", post_logout_redirect_uri: BYE },
      { client: "rp", redirectUri: BYE },
    ],
    [
      "a deleted client: no redirect, no error",
      { id_token_hint: "hint-deleted-client", post_logout_redirect_uri: BYE },
      { client: null, redirectUri: null },
    ],
    [
      "another client's URI",
      { client_id: "rp", post_logout_redirect_uri: "https://other.example/bye" },
      { client: "rp", redirectUri: null },
    ],
    [
      "a URI without any client",
      { post_logout_redirect_uri: BYE },
      { client: null, redirectUri: null },
    ],
    [
      "a URI that differs by a slash",
      { client_id: "rp", post_logout_redirect_uri: `${BYE}/` },
      { client: "rp", redirectUri: null },
    ],
  ])("%s", async (_, raw, expected) => {
    const request = await validateLogoutRequest(raw, deps);
    expect({ client: request.client?.id ?? null, redirectUri: request.redirectUri }).toEqual(
      expected,
    );
    const given = typeof raw.post_logout_redirect_uri === "string";
    expect(request.redirectRefused !== null).toBe(given && expected.redirectUri === null);
  });

  it.each<[string, RawParams, string]>([
    [
      "an invalid hint",
      { id_token_hint: "forged" },
      "id_token_hint is not an ID token issued by this server.",
    ],
    [
      "client_id outside the hint's audience",
      { id_token_hint: "hint-rp", client_id: "other" },
      "client_id is not the client the id_token_hint was issued to.",
    ],
    ["an unknown client_id", { client_id: "nobody" }, "The client is not registered."],
    ["a repeated parameter", { state: ["a", "b"] }, 'The "state" parameter is repeated.'],
    ["a repeated unknown parameter", { foo: ["a", "b"] }, 'The "foo" parameter is repeated.'],
    ["an oversized state", { state: "x".repeat(4097) }, 'The "state" parameter is too long.'],
  ])("refuses %s", async (_, raw, description) => {
    await expect(validateLogoutRequest(raw, deps)).rejects.toMatchObject({
      description,
      redirectable: false,
    });
  });

  it("keeps the logout parameters for the confirmation form and drops the rest", async () => {
    const request = await validateLogoutRequest(
      { client_id: "rp", state: "s", ui_locales: "fr", csrf_token: "t", logout: "yes", x: "1" },
      deps,
    );
    expect(request.params).toEqual({ client_id: "rp", state: "s", ui_locales: "fr" });
    expect(request.state).toBe("s");
  });
});

describe("tiedToSession", () => {
  const session = { userId: "u1", sid: "s1" };
  it.each<[string, IdTokenHint | null, boolean]>([
    ["no hint", null, false],
    ["same user and sid", { sub: "u1", aud: ["rp"], azp: null, sid: "s1" }, true],
    ["same user, another session", { sub: "u1", aud: ["rp"], azp: null, sid: "s0" }, false],
    ["same user, no sid", { sub: "u1", aud: ["rp"], azp: null, sid: null }, false],
    ["another user with the sid", { sub: "u2", aud: ["rp"], azp: null, sid: "s1" }, false],
  ])("%s → %s", (_, hint, tied) => {
    expect(tiedToSession({ hint }, session)).toBe(tied);
  });
});

describe("returnLocation and parseLogoutDecision", () => {
  it("adds the state to the registered URI, keeping its query", () => {
    expect(returnLocation({ redirectUri: null, state: "s" })).toBeNull();
    expect(returnLocation({ redirectUri: BYE, state: null })).toBe(BYE);
    expect(returnLocation({ redirectUri: `${BYE}?a=1`, state: "x&y" })).toBe(
      `${BYE}?a=1&state=x%26y`,
    );
  });

  it.each([
    ["yes", "yes"],
    ["no", "no"],
    ["YES", null],
    ["", null],
    [undefined, null],
    [["yes", "no"], null],
  ])("logout=%j → %j", (value, decision) => {
    expect(parseLogoutDecision(value)).toBe(decision);
  });
});
