// The pure rules of the authorization endpoint, table-driven, with cases from the specs.

import { describe, expect, it } from "vitest";
import type { LoginSession } from "../../server/accounts/sessions.ts";
import { OAuthError } from "../../server/errors.ts";
import {
  contentSecurityPolicy,
  formActionSource,
} from "../../server/http/plugins/security-headers.ts";
import { codeResponse, errorResponse } from "../../server/oauth/authorization-response.ts";
import { decideStep, type StepInput } from "../../server/oauth/authorize-flow.ts";
import { parseMaxAge, parsePrompt, parseResources } from "../../server/oauth/authorize-params.ts";
import type { AuthorizationRequest } from "../../server/oauth/authorize-request.ts";
import { describeScopes } from "../../server/oauth/scopes.ts";
import type { User } from "../../server/store/db/users.ts";

function errorCode(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(OAuthError);
    expect((err as OAuthError).redirectable).toBe(true);
    return (err as OAuthError).error;
  }
}

describe("prompt (OIDC Core §3.1.2.1)", () => {
  it.each([
    [null, []],
    ["login", ["login"]],
    ["consent login", ["consent", "login"]],
    ["login  login", ["login"]],
    ["select_account", ["select_account"]],
    ["none", ["none"]],
  ])("%j → %j", (prompt, values) => {
    expect(parsePrompt(prompt)).toEqual(values);
  });

  it.each(["none login", "consent none", "always", "LOGIN"])("refuses %j", (prompt) => {
    expect(errorCode(() => parsePrompt(prompt))).toBe("invalid_request");
  });
});

describe("max_age", () => {
  it.each([
    [null, null],
    ["0", 0],
    ["3600", 3600],
    ["999999999999", 315360000],
  ])("%j → %j", (maxAge, seconds) => {
    expect(parseMaxAge(maxAge)).toBe(seconds);
  });

  it.each(["-1", "1.5", "1e3", "soon", " 5", "0x10"])("refuses %j", (maxAge) => {
    expect(errorCode(() => parseMaxAge(maxAge))).toBe("invalid_request");
  });
});

describe("resource (RFC 8707 §2)", () => {
  it("accepts absolute URIs, repeated, and drops duplicates", () => {
    expect(
      parseResources({ resource: ["https://a.example/", "urn:x:y", "https://a.example/"] }),
    ).toEqual(["https://a.example/", "urn:x:y"]);
    expect(parseResources({})).toEqual([]);
  });

  it.each([["/relative"], ["https://a.example/#frag"], ["not a uri"]])("refuses %j", (value) => {
    expect(errorCode(() => parseResources({ resource: value }))).toBe("invalid_target");
  });

  it("refuses more than ten", () => {
    const many = Array.from({ length: 11 }, (_, i) => `https://r${i}.example/`);
    expect(errorCode(() => parseResources({ resource: many }))).toBe("invalid_target");
  });
});

const NOW = new Date("2030-01-01T12:00:00Z");
const nowSeconds = NOW.getTime() / 1000;

const request = (changes: Partial<AuthorizationRequest> = {}): AuthorizationRequest => ({
  redirectUri: "https://rp.example/cb",
  responseMode: "query",
  state: "s",
  clientId: "c",
  scopes: ["openid"],
  nonce: null,
  codeChallenge: null,
  codeChallengeMethod: null,
  prompt: [],
  maxAge: null,
  loginHint: null,
  idTokenHintSubject: null,
  uiLocales: null,
  claimsLocales: null,
  acrValues: null,
  display: null,
  resources: [],
  ...changes,
});

const session: LoginSession = {
  sid: "sid-1",
  userId: "u1",
  authTime: nowSeconds - 600,
  amr: ["pwd"],
  createdAt: NOW.getTime() - 600_000,
  lastSeenAt: NOW.getTime() - 60_000,
};
const user = { id: "u1", lockedAt: null, emailVerified: false } as User;

function step(changes: Partial<StepInput>): string {
  try {
    return decideStep({
      request: request(),
      client: { skipConsent: false },
      session,
      user,
      loginSid: null,
      consented: true,
      now: NOW,
      ...changes,
    }).kind;
  } catch (err) {
    return (err as OAuthError).error;
  }
}

describe("the next step of a request", () => {
  it.each<[string, Partial<StepInput>, string]>([
    ["a session and remembered consent", {}, "issue"],
    ["no session", { session: null, user: null }, "login"],
    ["a session whose user was deleted", { user: null }, "login"],
    ["a session whose user is locked", { user: { ...user, lockedAt: NOW } }, "login"],
    ["no consent yet", { consented: false }, "consent"],
    [
      "no consent, but the client skips it",
      { consented: false, client: { skipConsent: true } },
      "issue",
    ],
    ["prompt=login", { request: request({ prompt: ["login"] }) }, "login"],
    [
      "prompt=login after logging in within the interaction",
      { request: request({ prompt: ["login"] }), loginSid: "sid-1" },
      "issue",
    ],
    [
      "prompt=login with a login from another session",
      { request: request({ prompt: ["login"] }), loginSid: "sid-0" },
      "login",
    ],
    ["prompt=select_account", { request: request({ prompt: ["select_account"] }) }, "login"],
    [
      "prompt=consent with consent remembered",
      { request: request({ prompt: ["consent"] }) },
      "consent",
    ],
    [
      "prompt=consent for a client that skips consent",
      { request: request({ prompt: ["consent"] }), client: { skipConsent: true } },
      "consent",
    ],
    ["max_age older than the login", { request: request({ maxAge: 599 }) }, "login"],
    ["max_age equal to the session's age", { request: request({ maxAge: 600 }) }, "issue"],
    [
      "max_age=0 after logging in within the interaction",
      { request: request({ maxAge: 0 }), loginSid: "sid-1" },
      "issue",
    ],
    [
      "an id_token_hint for the session's user",
      { request: request({ idTokenHintSubject: "u1" }) },
      "issue",
    ],
    [
      "an id_token_hint for another user",
      { request: request({ idTokenHintSubject: "u2" }) },
      "login",
    ],
    [
      "prompt=none and no session",
      { request: request({ prompt: ["none"] }), session: null, user: null },
      "login_required",
    ],
    [
      "prompt=none and max_age exceeded",
      { request: request({ prompt: ["none"], maxAge: 10 }) },
      "login_required",
    ],
    [
      "prompt=none and a hint for another user",
      { request: request({ prompt: ["none"], idTokenHintSubject: "u2" }) },
      "login_required",
    ],
    [
      "prompt=none and no consent",
      { request: request({ prompt: ["none"] }), consented: false },
      "consent_required",
    ],
    ["prompt=none with everything in place", { request: request({ prompt: ["none"] }) }, "issue"],
    [
      "REQUIRE_VERIFIED_EMAIL and a session whose user's address is not verified",
      { verifiedEmailRequired: true },
      "login",
    ],
    [
      "REQUIRE_VERIFIED_EMAIL, prompt=none and an unverified address",
      { verifiedEmailRequired: true, request: request({ prompt: ["none"] }) },
      "login_required",
    ],
    [
      "REQUIRE_VERIFIED_EMAIL and a verified address",
      { verifiedEmailRequired: true, user: { ...user, emailVerified: true } },
      "issue",
    ],
  ])("%s → %s", (_, changes, expected) => {
    expect(step(changes)).toBe(expected);
  });
});

describe("authorization responses", () => {
  const target = {
    redirectUri: "https://rp.example/cb?x=1",
    responseMode: "query",
    state: "s&t",
  } as const;

  it("adds code, state and iss to the redirect URI's query", () => {
    expect(codeResponse(target, "abc", "https://id.example")).toEqual({
      mode: "query",
      location: "https://rp.example/cb?x=1&code=abc&state=s%26t&iss=https%3A%2F%2Fid.example",
    });
  });

  it("leaves state out when the request had none", () => {
    const response = errorResponse(
      { ...target, state: null },
      new OAuthError("access_denied", "No."),
      "https://id.example",
    );
    expect(response).toEqual({
      mode: "query",
      location:
        "https://rp.example/cb?x=1&error=access_denied&error_description=No.&iss=https%3A%2F%2Fid.example",
    });
  });

  it("lists the fields to post in form_post mode", () => {
    expect(
      codeResponse({ ...target, responseMode: "form_post" }, "abc", "https://id.example"),
    ).toEqual({
      mode: "form_post",
      action: "https://rp.example/cb?x=1",
      fields: [
        { name: "code", value: "abc" },
        { name: "state", value: "s&t" },
        { name: "iss", value: "https://id.example" },
      ],
    });
  });
});

describe("Content-Security-Policy", () => {
  it("allows no inline script or style and no framing by default", () => {
    expect(contentSecurityPolicy()).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
  });

  it("adds the client's origin to form-action and scripts from self where asked", () => {
    expect(contentSecurityPolicy({ formAction: ["https://rp.example"], scripts: true })).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self' https://rp.example; frame-ancestors 'none'; base-uri 'none'",
    );
  });

  it.each([
    ["https://rp.example/cb?x=1", "https://rp.example"],
    ["http://localhost:8080/callback", "http://localhost:8080"],
    ["http://127.0.0.1:9/cb", "http://127.0.0.1:9"],
    ["http://[::1]:8080/cb", "http:"],
  ])("lets forms reach %s through %s", (uri, source) => {
    expect(formActionSource(uri)).toBe(source);
  });
});

describe("scope descriptions", () => {
  it("words the standard scopes and names the others", () => {
    expect(describeScopes(["openid", "email", "api:read"])).toEqual([
      { scope: "openid", description: "Confirm who you are when you sign in", known: true },
      {
        scope: "email",
        description: "See your email address and whether it is verified",
        known: true,
      },
      { scope: "api:read", description: "Use the permission", known: false },
    ]);
  });
});
