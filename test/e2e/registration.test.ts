// A relying party registers itself with openid-client's dynamicClientRegistration against a
// listening Latchkey in REGISTRATION=token mode, then signs a user in with the credentials it
// was given and manages its registration at the registration_client_uri.

import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpClient, readForms } from "../helpers/http-client.ts";
import { type ServerOnServices, startServerOnServices } from "../helpers/services.ts";

const REDIRECT_URI = "http://127.0.0.1:9/callback";
const PASSWORD = "correct horse battery staple";
const INITIAL_ACCESS_TOKEN = "e2e-initial-access-token-0123456789abcdef";

let latchkey: ServerOnServices;

beforeAll(async () => {
  latchkey = await startServerOnServices({
    REGISTRATION: "token",
    REGISTRATION_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN,
  });
});

afterAll(async () => {
  await latchkey?.close();
});

async function loginAndConsent(authorizationUrl: URL, email: string): Promise<URL> {
  const browser = new HttpClient();
  const loginPage = await browser.follow(authorizationUrl.href, REDIRECT_URI);
  const [login] = readForms(loginPage.body, loginPage.url).filter((f) => "password" in f.fields);
  const consentPage = await browser.follow(login!.action, REDIRECT_URI, {
    method: "POST",
    form: { ...login!.fields, email, password: PASSWORD },
  });
  const consent = readForms(consentPage.body, consentPage.url).find((f) =>
    f.buttons.some((b) => b.name === "decision" && b.value === "allow"),
  );
  const callback = await browser.follow(consent!.action, REDIRECT_URI, {
    method: "POST",
    form: { ...consent!.fields, decision: "allow" },
  });
  return new URL(callback.url);
}

describe("dynamic registration with openid-client", () => {
  it("is refused without the initial access token, with a Bearer challenge", async () => {
    const refused = oidc.dynamicClientRegistration(
      new URL(latchkey.issuer),
      { redirect_uris: [REDIRECT_URI] },
      undefined,
      { execute: [oidc.allowInsecureRequests] },
    );
    await expect(refused).rejects.toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
    await expect(refused).rejects.toMatchObject({
      status: 401,
      cause: [expect.objectContaining({ scheme: "bearer" })],
    });
  });

  it("registers, signs a user in, and manages the registration", async () => {
    const user = await latchkey.data.user("dcr@example.com", PASSWORD, "Ada Lovelace");
    const config = await oidc.dynamicClientRegistration(
      new URL(latchkey.issuer),
      {
        client_name: "Self-registered RP",
        redirect_uris: [REDIRECT_URI],
        grant_types: ["authorization_code", "refresh_token"],
        token_endpoint_auth_method: "client_secret_post",
      },
      undefined,
      { initialAccessToken: INITIAL_ACCESS_TOKEN, execute: [oidc.allowInsecureRequests] },
    );
    const registered = config.clientMetadata();
    expect(registered).toMatchObject({
      client_id: expect.any(String),
      client_secret: expect.any(String),
      scope: "openid profile email offline_access",
    });

    const codeVerifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const authorizationUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: "openid profile email offline_access",
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      nonce,
    });
    const callbackUrl = await loginAndConsent(authorizationUrl, user.email);
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: codeVerifier,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    expect(tokens.claims()).toMatchObject({ sub: user.id, aud: registered.client_id, nonce });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const uri = registered.registration_client_uri as string;
    const auth = { authorization: `Bearer ${registered.registration_access_token}` };
    const read = await fetch(uri, { headers: auth });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ client_id: registered.client_id });
    expect((await fetch(uri, { method: "DELETE", headers: auth })).status).toBe(204);
    expect((await fetch(uri, { headers: auth })).status).toBe(401);
  });
});
