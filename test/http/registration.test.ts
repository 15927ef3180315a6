// POST /oauth/register with REGISTRATION=open (RFC 7591 §3): every kind of client and the
// client information response that tells it what it got. Refusals: registration-errors.test.ts.

import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findClientById } from "../../server/store/db/clients.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  expectClientInformation,
  type Json,
  publicJwks,
  register,
} from "../helpers/registration.ts";

const sha256 = (value: string) => createHash("sha256").update(value).digest("base64url");
const WEB = { redirect_uris: ["https://rp.example.com/callback"] };

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ REGISTRATION: "open", ISSUER: "https://id.example.com/tenant" });
});
afterAll(async () => {
  await t?.close();
});

describe("registering a client", () => {
  it("registers a confidential web client and returns everything it registered", async () => {
    const before = Math.floor(Date.now() / 1000);
    const info = expectClientInformation(
      await register(t.app, {
        ...WEB,
        client_name: "Photo Printer",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        post_logout_redirect_uris: ["https://rp.example.com/bye"],
        client_uri: "https://rp.example.com/",
        logo_uri: "https://rp.example.com/logo.png",
        policy_uri: "https://rp.example.com/privacy",
        tos_uri: "https://rp.example.com/tos",
        contacts: ["ops@rp.example.com"],
        id_token_signed_response_alg: "RS256",
      }),
    );
    const id = info.client_id as string;
    expect(info).toEqual({
      client_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      client_secret: expect.stringMatching(/^[\w-]{43}$/),
      client_id_issued_at: expect.any(Number),
      client_secret_expires_at: 0,
      registration_access_token: expect.stringMatching(/^[\w-]{43}$/),
      registration_client_uri: `https://id.example.com/tenant/oauth/register/${id}`,
      client_name: "Photo Printer",
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      redirect_uris: ["https://rp.example.com/callback"],
      post_logout_redirect_uris: ["https://rp.example.com/bye"],
      scope: "openid profile email offline_access",
      id_token_signed_response_alg: "RS256",
      client_uri: "https://rp.example.com/",
      logo_uri: "https://rp.example.com/logo.png",
      policy_uri: "https://rp.example.com/privacy",
      tos_uri: "https://rp.example.com/tos",
      contacts: ["ops@rp.example.com"],
    });
    expect(info.client_id_issued_at).toBeGreaterThanOrEqual(before);

    const stored = await findClientById(t.app.deps.db, id);
    expect(stored).toMatchObject({
      secretDigest: sha256(info.client_secret as string),
      registrationTokenDigest: sha256(info.registration_access_token as string),
      skipConsent: false,
    });
    const row = JSON.stringify(
      await t.app.deps.db.selectFrom("clients").selectAll().where("id", "=", id).execute(),
    );
    expect(row).not.toContain(info.client_secret);
    expect(row).not.toContain(info.registration_access_token);
  });

  it("applies the RFC 7591 defaults: code grant only, basic auth, named by its id", async () => {
    const info = expectClientInformation(await register(t.app, WEB));
    expect(info).toMatchObject({
      client_name: info.client_id,
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      post_logout_redirect_uris: [],
      scope: "openid profile email",
    });
    expect(info).not.toHaveProperty("logo_uri");
    expect(info).not.toHaveProperty("contacts");
  });

  it("registers a client_secret_post client", async () => {
    const info = expectClientInformation(
      await register(t.app, { ...WEB, token_endpoint_auth_method: "client_secret_post" }),
    );
    expect(info).toMatchObject({
      token_endpoint_auth_method: "client_secret_post",
      client_secret: expect.any(String),
      client_secret_expires_at: 0,
    });
  });

  it("registers a public client without a secret", async () => {
    const info = expectClientInformation(
      await register(t.app, {
        redirect_uris: ["http://127.0.0.1:5173/callback"],
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
      }),
    );
    expect(info.token_endpoint_auth_method).toBe("none");
    expect(info).not.toHaveProperty("client_secret");
    expect(info).not.toHaveProperty("client_secret_expires_at");
    const stored = await findClientById(t.app.deps.db, info.client_id as string);
    expect(stored?.secretDigest).toBeNull();
  });

  it("registers a private_key_jwt client with a JWK Set, keeping its keys", async () => {
    const jwks = publicJwks();
    const info = expectClientInformation(
      await register(t.app, { ...WEB, token_endpoint_auth_method: "private_key_jwt", jwks }),
    );
    expect(info).toMatchObject({ token_endpoint_auth_method: "private_key_jwt", jwks });
    expect(info).not.toHaveProperty("client_secret");
    expect((await findClientById(t.app.deps.db, info.client_id as string))?.jwks).toEqual(jwks);
  });

  it("registers a private_key_jwt machine client with a JWKS URI", async () => {
    const info = expectClientInformation(
      await register(t.app, {
        grant_types: ["client_credentials"],
        token_endpoint_auth_method: "private_key_jwt",
        jwks_uri: "https://svc.example.com/.well-known/jwks.json",
      }),
    );
    expect(info).toMatchObject({
      jwks_uri: "https://svc.example.com/.well-known/jwks.json",
      grant_types: ["client_credentials"],
    });
    expect(info).not.toHaveProperty("jwks");
  });

  it("registers a client_credentials machine client without redirect URIs or scopes", async () => {
    const info = expectClientInformation(
      await register(t.app, { client_name: "Nightly export", grant_types: ["client_credentials"] }),
    );
    expect(info).toMatchObject({
      client_secret: expect.any(String),
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
    });
    expect(info).not.toHaveProperty("scope");
  });

  it("ignores members it does not know and those the server decides", async () => {
    const info = expectClientInformation(
      await register(t.app, {
        ...WEB,
        client_id: "chosen-by-me",
        client_secret: "chosen-by-me-too",
        skip_consent: true,
        software_statement: "eyJhbGciOiJub25lIn0.e30.",
        "client_name#fr": "Imprimante",
        application_type: "web",
      }),
    );
    expect(info.client_id).not.toBe("chosen-by-me");
    expect(info.client_secret).not.toBe("chosen-by-me-too");
    const stored = await findClientById(t.app.deps.db, info.client_id as string);
    expect(stored?.skipConsent).toBe(false);
  });
});

describe("discovery", () => {
  it("advertises the registration endpoint and private_key_jwt at the token endpoint", async () => {
    const res = await t.app.inject({ method: "GET", url: "/.well-known/openid-configuration" });
    const document = res.json() as Json;
    expect(document.registration_endpoint).toBe("https://id.example.com/tenant/oauth/register");
    expect(document.token_endpoint_auth_methods_supported).toContain("private_key_jwt");
  });
});
