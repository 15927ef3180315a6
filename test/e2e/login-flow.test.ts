// A relying party built on openid-client completes a full OpenID Connect login against a
// listening Latchkey on Postgres and Redis: discovery, authorization URL with PKCE, state and
// nonce, login and consent pages, callback, code exchange, ID token validation, userinfo.

import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpClient, readForms } from "../helpers/http-client.ts";
import { type ServerOnServices, startServerOnServices } from "../helpers/services.ts";

const REDIRECT_URI = "http://127.0.0.1:9/callback";
const PASSWORD = "correct horse battery staple";

let latchkey: ServerOnServices;

beforeAll(async () => {
  latchkey = await startServerOnServices();
});

afterAll(async () => {
  await latchkey?.close();
});

/** Logs in and consents through the real pages; returns the URL the browser lands on. */
async function loginAndConsent(
  browser: HttpClient,
  authorizationUrl: URL,
  email: string,
): Promise<URL> {
  const loginPage = await browser.follow(authorizationUrl.href, REDIRECT_URI);
  expect(loginPage.status).toBe(200);
  const [login] = readForms(loginPage.body, loginPage.url).filter((f) => "password" in f.fields);
  expect(login).toBeDefined();
  const consentPage = await browser.follow(login!.action, REDIRECT_URI, {
    method: "POST",
    form: { ...login!.fields, email, password: PASSWORD },
  });
  expect(consentPage.status).toBe(200);
  const consent = readForms(consentPage.body, consentPage.url).find((f) =>
    f.buttons.some((b) => b.name === "decision" && b.value === "allow"),
  );
  expect(consent).toBeDefined();
  const callback = await browser.follow(consent!.action, REDIRECT_URI, {
    method: "POST",
    form: { ...consent!.fields, decision: "allow" },
  });
  expect(callback.url.startsWith(REDIRECT_URI)).toBe(true);
  return new URL(callback.url);
}

describe.each([
  ["client_secret_basic", (secret: string) => oidc.ClientSecretBasic(secret)],
  ["client_secret_post", (secret: string) => oidc.ClientSecretPost(secret)],
  ["none", () => oidc.None()],
] as const)("openid-client with %s", (authMethod, authentication) => {
  it("logs in, validates the ID token and calls userinfo", async () => {
    const email = `${authMethod.replaceAll("_", "-")}@example.com`;
    const user = await latchkey.data.user(email, PASSWORD, "Ada Lovelace");
    const { clientId, secret } = await latchkey.data.client({
      name: `RP ${authMethod}`,
      redirectUris: [REDIRECT_URI],
      authMethod,
      grantTypes: ["authorization_code", "refresh_token"],
      scope: "openid profile email offline_access",
    });
    const config = await oidc.discovery(
      new URL(latchkey.issuer),
      clientId,
      undefined,
      authentication(secret ?? ""),
      { execute: [oidc.allowInsecureRequests] },
    );
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const authorizationUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: "openid profile email",
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });

    const callbackUrl = await loginAndConsent(new HttpClient(), authorizationUrl, email);
    expect(callbackUrl.searchParams.get("state")).toBe(state);
    expect(callbackUrl.searchParams.get("iss")).toBe(config.serverMetadata().issuer);

    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    expect(tokens.token_type.toLowerCase()).toBe("bearer");
    const claims = tokens.claims();
    expect(claims).toMatchObject({ sub: user.id, aud: clientId, nonce });
    expect(claims?.auth_time).toEqual(expect.any(Number));
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
    expect(userinfo).toMatchObject({ sub: user.id, email, name: "Ada Lovelace" });
  });
});
