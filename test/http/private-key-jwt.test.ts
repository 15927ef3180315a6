// private_key_jwt client authentication (RFC 7523 §2.2 and §3, OIDC Core §9) at the token,
// introspection and revocation endpoints, with keys registered by value and by jwks_uri.

import type { LightMyRequestResponse } from "fastify";
import { base64url, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JWKS_REFETCH_INTERVAL } from "../../server/oauth/client-assertion.ts";
import type { Client } from "../../server/oauth/clients.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  type AssertionOptions,
  type ClientKey,
  JWT_BEARER,
  type JwksServer,
  makeClientKey,
  signAssertion,
  startJwksServer,
} from "../helpers/client-assertions.ts";
import { manualClock } from "../helpers/refresh-fixtures.ts";
import { basicAuth, formBody, makeClient, postToken } from "../helpers/token-fixtures.ts";

const CLOCK_SKEW = 30;

describe("private_key_jwt client authentication", () => {
  const clock = manualClock();
  let t: TestApp;
  let jwksServer: JwksServer;
  let tokenUrl: string;
  let rsa: ClientKey;
  let ps: ClientKey;
  let ec: ClientKey;
  let ed: ClientKey;
  let stranger: ClientKey;
  let inline: Client;
  let byUri: Client;
  let secretClient: { client: Client; secret: string };

  const machine = {
    redirectUris: [],
    grantTypes: ["client_credentials"],
    scope: "api:read",
    authMethod: "private_key_jwt",
  };

  beforeAll(async () => {
    t = await buildTestApp({ CLOCK_SKEW: `${CLOCK_SKEW}s` }, { now: clock.now });
    tokenUrl = `${t.config.issuer}/oauth/token`;
    jwksServer = await startJwksServer();
    [rsa, ps, ec, ed, stranger] = await Promise.all([
      makeClientKey("RS256", "rsa"),
      makeClientKey("PS256", "ps"),
      makeClientKey("ES256", "ec"),
      makeClientKey("EdDSA", "ed"),
      makeClientKey("RS256", "rsa"),
    ]);
    const jwks = { keys: [rsa.publicJwk, ps.publicJwk, ec.publicJwk, ed.publicJwk] };
    inline = (await makeClient(t.app, { ...machine, jwks })).client;
    jwksServer.sets.set("/uri-client", { keys: [rsa.publicJwk] });
    byUri = (await makeClient(t.app, { ...machine, jwksUri: `${jwksServer.url}/uri-client` }))
      .client;
    const made = await makeClient(t.app, { ...machine, authMethod: "client_secret_basic" });
    secretClient = { client: made.client, secret: made.secret ?? "" };
  });
  afterAll(async () => {
    await t?.close();
    await jwksServer?.close();
  });

  function assertionParams(assertion: string, extra: Record<string, string> = {}) {
    return { client_assertion_type: JWT_BEARER, client_assertion: assertion, ...extra };
  }

  async function tokenWith(assertion: string, extra: Record<string, string> = {}) {
    return postToken(t.app, {
      grant_type: "client_credentials",
      ...assertionParams(assertion, extra),
    });
  }

  function assertFor(client: Client, key: ClientKey = rsa, options: AssertionOptions = {}) {
    return signAssertion(key, client.id, clock.now(), { aud: tokenUrl, ...options });
  }

  function expectInvalidClient(res: LightMyRequestResponse, description?: RegExp): void {
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe("invalid_client");
    expect(res.headers["www-authenticate"]).toMatch(/^Basic realm=/);
    if (description) expect(res.json().error_description).toMatch(description);
  }

  describe("at the token endpoint", () => {
    it.each([
      ["RS256", () => rsa],
      ["PS256", () => ps],
      ["ES256", () => ec],
      ["EdDSA", () => ed],
    ])("accepts an assertion signed with %s by a key of the inline JWK Set", async (_, key) => {
      const res = await tokenWith(await assertFor(inline, key()));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ token_type: "Bearer", scope: "api:read" });
    });

    it.each([
      ["the issuer", () => t.config.issuer],
      ["the token endpoint in an array", () => ["https://other.example", tokenUrl]],
    ])("accepts %s as aud", async (_, aud) => {
      const res = await tokenWith(await assertFor(inline, rsa, { aud: aud() }));
      expect(res.statusCode).toBe(200);
    });

    it("accepts a client_id parameter that names the assertion's client", async () => {
      const res = await tokenWith(await assertFor(inline), { client_id: inline.id });
      expect(res.statusCode).toBe(200);
    });

    it("refuses a replayed jti", async () => {
      const assertion = await assertFor(inline);
      expect((await tokenWith(assertion)).statusCode).toBe(200);
      expectInvalidClient(await tokenWith(assertion), /used before/);
      // The same jti in a new assertion is a replay too.
      const again = await assertFor(inline, rsa, { jti: "fixed-jti" });
      expect((await tokenWith(again)).statusCode).toBe(200);
      expectInvalidClient(await tokenWith(await assertFor(inline, rsa, { jti: "fixed-jti" })));
    });

    const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
    it.each<[string, () => AssertionOptions, RegExp]>([
      ["a wrong aud", () => ({ aud: "https://elsewhere.example/token" }), /aud/],
      [
        "the introspection endpoint as aud",
        () => ({ aud: `${t.config.issuer}/oauth/introspect` }),
        /aud/,
      ],
      ["no aud", () => ({ aud: undefined }), /aud/],
      ["an expired assertion", () => ({ expIn: -(CLOCK_SKEW + 1) }), /expired/],
      ["an assertion lasting too long", () => ({ expIn: 3600 }), /within 600 seconds/],
      [
        "an nbf in the future",
        () => ({ claims: { nbf: nowSeconds() + CLOCK_SKEW + 60 } }),
        /not valid yet/,
      ],
      [
        "an iat in the future",
        () => ({ claims: { iat: nowSeconds() + CLOCK_SKEW + 60 } }),
        /future/,
      ],
      ["no jti", () => ({ jti: null }), /jti/],
      ["iss and sub that differ", () => ({ sub: "someone-else" }), /iss and sub/],
      ["no exp", () => ({ claims: { exp: undefined } }), /exp/],
    ])("refuses %s", async (_, options, description) => {
      expectInvalidClient(await tokenWith(await assertFor(inline, rsa, options())), description);
    });

    it("refuses a client_id parameter that names another client", async () => {
      const res = await tokenWith(await assertFor(inline), { client_id: byUri.id });
      expectInvalidClient(res, /client_id/);
    });

    it("refuses an assertion signed by a key not in the client's set", async () => {
      expectInvalidClient(await tokenWith(await assertFor(inline, stranger)), /not signed/);
      const unknownKid = { ...stranger, kid: "not-registered" };
      expectInvalidClient(await tokenWith(await assertFor(inline, unknownKid)), /not signed/);
    });

    it("refuses alg none and HS256", async () => {
      const now = Math.floor(clock.now().getTime() / 1000);
      const claims = { iss: inline.id, sub: inline.id, aud: tokenUrl, exp: now + 60, jti: "n" };
      const encode = (value: object) => base64url.encode(JSON.stringify(value));
      const unsigned = `${encode({ alg: "none" })}.${encode(claims)}.`;
      expectInvalidClient(await tokenWith(unsigned), /signed with one of/);
      const hs256 = await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .sign(new TextEncoder().encode("a shared secret of at least 32 bytes!"));
      expectInvalidClient(await tokenWith(hs256), /signed with one of/);
    });

    it("refuses an encrypted (JWE) assertion", async () => {
      expectInvalidClient(await tokenWith("a.b.c.d.e"), /not an encrypted one/);
    });

    it("refuses an assertion from a client registered for client_secret_basic", async () => {
      const res = await tokenWith(await assertFor(secretClient.client));
      expectInvalidClient(res, /^Client authentication failed\.$/);
    });

    it("refuses client_secret_basic from a client registered for private_key_jwt", async () => {
      const res = await postToken(
        t.app,
        { grant_type: "client_credentials" },
        { authorization: basicAuth(inline.id, "some-secret") },
      );
      expectInvalidClient(res, /^Client authentication failed\.$/);
    });

    it("refuses another client_assertion_type as invalid_client", async () => {
      const res = await postToken(t.app, {
        grant_type: "client_credentials",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
        client_assertion: await assertFor(inline),
      });
      expectInvalidClient(res, /client assertion type/);
    });

    it("refuses a client_assertion_type without a client_assertion as invalid_request", async () => {
      const res = await postToken(t.app, {
        grant_type: "client_credentials",
        client_assertion_type: JWT_BEARER,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe("invalid_request");
    });
  });

  describe("with a jwks_uri", () => {
    it("fetches the key set once and then serves it from the cache", async () => {
      expect((await tokenWith(await assertFor(byUri))).statusCode).toBe(200);
      expect((await tokenWith(await assertFor(byUri))).statusCode).toBe(200);
      expect(jwksServer.hits("/uri-client")).toBe(1);
    });

    it("picks up a rotated key through one rate-limited refetch for an unknown kid", async () => {
      expect((await tokenWith(await assertFor(byUri))).statusCode).toBe(200);
      const rotated = await makeClientKey("RS256", "rsa-2");
      jwksServer.sets.set("/uri-client", { keys: [rotated.publicJwk] });
      const fetched = jwksServer.hits("/uri-client");

      // Within a minute of the last fetch the cached set stands, and the server is not asked.
      clock.advance(10);
      expectInvalidClient(await tokenWith(await assertFor(byUri, rotated)), /not signed/);
      expect(jwksServer.hits("/uri-client")).toBe(fetched);

      clock.advance(JWKS_REFETCH_INTERVAL);
      expect((await tokenWith(await assertFor(byUri, rotated))).statusCode).toBe(200);
      expect(jwksServer.hits("/uri-client")).toBe(fetched + 1);

      // A kid that is still unknown after the refetch does not trigger another one.
      expectInvalidClient(await tokenWith(await assertFor(byUri, stranger)), /not signed/);
      expect(jwksServer.hits("/uri-client")).toBe(fetched + 1);
    });

    it.each([
      ["redirects", "/redirect"],
      ["returns a body that is too large", "/large"],
      ["answers 404", "/missing"],
    ])("refuses the client when its jwks_uri %s, without saying why", async (_, path) => {
      const client = (await makeClient(t.app, { ...machine, jwksUri: `${jwksServer.url}${path}` }))
        .client;
      const res = await tokenWith(await assertFor(client));
      expectInvalidClient(res, /^Client authentication failed\.$/);
      expect(jwksServer.hits(path)).toBeGreaterThan(0);
    });
  });

  describe("at the introspection and revocation endpoints", () => {
    function post(url: string, params: Record<string, string>) {
      return t.app.inject({
        method: "POST",
        url,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: formBody(params),
      });
    }

    it("introspects and revokes a token with assertions addressed to each endpoint", async () => {
      const issued = await tokenWith(await assertFor(inline));
      const token = issued.json().access_token as string;
      const introspectUrl = `${t.config.issuer}/oauth/introspect`;

      const active = await post("/oauth/introspect", {
        token,
        ...assertionParams(await assertFor(inline, ec, { aud: introspectUrl })),
      });
      expect(active.statusCode).toBe(200);
      expect(active.json()).toMatchObject({ active: true, client_id: inline.id });

      const revoked = await post("/oauth/revoke", {
        token,
        ...assertionParams(
          await assertFor(inline, rsa, { aud: `${t.config.issuer}/oauth/revoke` }),
        ),
      });
      expect(revoked.statusCode).toBe(200);

      const after = await post("/oauth/introspect", {
        token,
        ...assertionParams(await assertFor(inline, rsa, { aud: t.config.issuer })),
      });
      expect(after.json()).toEqual({ active: false });
    });

    it("refuses at introspection an assertion addressed to the revocation endpoint", async () => {
      const res = await post("/oauth/introspect", {
        token: "x",
        ...assertionParams(
          await assertFor(inline, rsa, { aud: `${t.config.issuer}/oauth/revoke` }),
        ),
      });
      expectInvalidClient(res, /aud/);
    });

    it("refuses a replayed assertion at the revocation endpoint", async () => {
      const assertion = await assertFor(inline);
      expect(
        (await post("/oauth/revoke", { token: "x", ...assertionParams(assertion) })).statusCode,
      ).toBe(200);
      expectInvalidClient(
        await post("/oauth/revoke", { token: "x", ...assertionParams(assertion) }),
      );
    });
  });

  it("advertises private_key_jwt and its algorithms for each endpoint", async () => {
    const res = await t.app.inject({ method: "GET", url: "/.well-known/openid-configuration" });
    const document = res.json();
    const algs = ["RS256", "PS256", "ES256", "EdDSA"];
    expect(document.token_endpoint_auth_methods_supported).toContain("private_key_jwt");
    expect(document.introspection_endpoint_auth_methods_supported).toContain("private_key_jwt");
    expect(document.revocation_endpoint_auth_methods_supported).toContain("private_key_jwt");
    expect(document.token_endpoint_auth_signing_alg_values_supported).toEqual(algs);
    expect(document.introspection_endpoint_auth_signing_alg_values_supported).toEqual(algs);
    expect(document.revocation_endpoint_auth_signing_alg_values_supported).toEqual(algs);
  });
});
