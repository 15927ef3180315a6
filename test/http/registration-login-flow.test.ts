// A dynamically registered client signs a user in: authorize → login → consent (asked, never
// skipped) → code → token endpoint with the credentials registration gave it; the ID token is
// for the new client. Deleting the registration then takes its consents and refresh-token
// families with it.

import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  authorizeQuery,
  Browser,
  location,
  makeUser,
  REDIRECT_URI,
  VERIFIER,
} from "../helpers/authorize-flow.ts";
import { expectClientInformation, type Json, manage, register } from "../helpers/registration.ts";
import { basicAuth, postToken, verifyWithJwks } from "../helpers/token-fixtures.ts";

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ REGISTRATION: "open" });
});
afterAll(async () => {
  await t?.close();
});

/** Runs the browser part of the flow for the client and returns the code. */
async function signInThrough(clientId: string, email: string): Promise<string> {
  const browser = new Browser(t.app);
  const afterLogin = await browser.signIn(authorizeQuery(clientId), email);
  expect(location(afterLogin).pathname).toMatch(/\/consent$/);
  const consentPage = await browser.get(location(afterLogin).href);
  expect(consentPage.body).toContain("Photo Printer");
  const done = await browser.consent(afterLogin, "allow");
  const url = location(done);
  expect(`${url.origin}${url.pathname}`).toBe(REDIRECT_URI);
  expect(url.searchParams.get("iss")).toBe(t.config.issuer);
  return url.searchParams.get("code")!;
}

async function expectIdTokenFor(res: LightMyRequestResponse, clientId: string, userId: string) {
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as { id_token: string; access_token: string; refresh_token?: string };
  const id = await verifyWithJwks(t.app, body.id_token, { typ: "JWT", audience: clientId });
  expect(id.payload).toMatchObject({ aud: clientId, sub: userId, nonce: "nonce-456" });
  const access = await verifyWithJwks(t.app, body.access_token, { typ: "at+jwt" });
  expect(access.payload).toMatchObject({ client_id: clientId, sub: userId });
  return body;
}

const countFor = async (table: "consents" | "refresh_families", clientId: string) => {
  const row = await t.app.deps.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("client_id", "=", clientId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
};

describe("a dynamically registered client", () => {
  it("signs a user in with the secret it was given and gets ID tokens for itself", async () => {
    const client = expectClientInformation(
      await register(t.app, {
        client_name: "Photo Printer",
        redirect_uris: [REDIRECT_URI],
        grant_types: ["authorization_code", "refresh_token"],
        skip_consent: true,
      }),
    );
    const clientId = client.client_id as string;
    const user = await makeUser(t.app);
    const code = await signInThrough(clientId, user.email);

    const res = await postToken(
      t.app,
      {
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: VERIFIER,
      },
      { authorization: basicAuth(clientId, client.client_secret as string) },
    );
    const tokens = await expectIdTokenFor(res, clientId, user.id);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(await countFor("consents", clientId)).toBe(1);
    expect(await countFor("refresh_families", clientId)).toBe(1);

    const token = client.registration_access_token as string;
    expect((await manage(t.app, "DELETE", clientId, token)).statusCode).toBe(204);
    expect(await countFor("consents", clientId)).toBe(0);
    expect(await countFor("refresh_families", clientId)).toBe(0);
    const after = await postToken(
      t.app,
      {
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token!,
      },
      { authorization: basicAuth(clientId, client.client_secret as string) },
    );
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ error: "invalid_client" });
  });

  it("signs a user in as a public client with PKCE alone", async () => {
    const client: Json = expectClientInformation(
      await register(t.app, {
        client_name: "Photo Printer",
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: "none",
      }),
    );
    const clientId = client.client_id as string;
    const user = await makeUser(t.app);
    const code = await signInThrough(clientId, user.email);
    const res = await postToken(t.app, {
      grant_type: "authorization_code",
      client_id: clientId,
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: VERIFIER,
    });
    const tokens = await expectIdTokenFor(res, clientId, user.id);
    // Registered with the authorization_code grant only (the RFC 7591 default).
    expect(tokens).not.toHaveProperty("refresh_token");
  });
});
