// One whole authorization-code flow against a listening server, walked like a browser and a
// confidential client would: login and consent pages, code exchange, refresh, introspection
// and revocation. Returns every secret that went over the wire, for tests that look for them.

import { createHash, randomBytes } from "node:crypto";
import { expect } from "vitest";
import type { Fixtures } from "./fixtures.ts";
import { HttpClient, readForms } from "./http-client.ts";

export const FLOW_REDIRECT_URI = "http://127.0.0.1:9/callback";

export interface FlowSecrets {
  userId: string;
  clientId: string;
  password: string;
  clientSecret: string;
  code: string;
  csrfTokens: string[];
  cookieValues: string[];
  accessToken: string;
  idToken: string;
  refreshTokens: string[];
}

export async function postForm(
  url: string,
  form: Record<string, string>,
  basic?: { id: string; secret: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (basic) {
    const credentials = `${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
  }
  const res = await fetch(url, { method: "POST", headers, body: new URLSearchParams(form) });
  const text = await res.text();
  return {
    status: res.status,
    body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/**
 * With `replay`, after the refresh the first refresh token and then the code are presented
 * again (both refused as reuse, revoking what they issued) instead of introspecting and
 * revoking.
 */
export async function runFullFlow(
  issuer: string,
  data: Fixtures,
  tag: string,
  options: { replay?: boolean } = {},
): Promise<FlowSecrets> {
  const password = `pw-${randomBytes(12).toString("hex")}`;
  const email = `${tag}-${randomBytes(4).toString("hex")}@example.com`;
  const user = await data.user(email, password);
  const { clientId, secret } = await data.client({
    name: `Flow ${tag}`,
    redirectUris: [FLOW_REDIRECT_URI],
    authMethod: "client_secret_basic",
    grantTypes: ["authorization_code", "refresh_token"],
    scope: "openid profile email offline_access",
  });
  const basic = { id: clientId, secret: secret ?? "" };
  const verifier = randomBytes(32).toString("base64url");
  const authorize = new URL(`${issuer}/oauth/authorize`);
  authorize.search = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: FLOW_REDIRECT_URI,
    scope: "openid email offline_access",
    state: "s1",
    nonce: "n1",
    prompt: "consent",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  }).toString();

  const browser = new HttpClient();
  const csrfTokens: string[] = [];
  const loginPage = await browser.follow(authorize.href, FLOW_REDIRECT_URI);
  expect(loginPage.status).toBe(200);
  const [login] = readForms(loginPage.body, loginPage.url).filter((f) => "password" in f.fields);
  csrfTokens.push(login!.fields.csrf_token ?? "");
  const consentPage = await browser.follow(login!.action, FLOW_REDIRECT_URI, {
    method: "POST",
    form: { ...login!.fields, email, password },
  });
  expect(consentPage.status).toBe(200);
  const consent = readForms(consentPage.body, consentPage.url).find((f) =>
    f.buttons.some((b) => b.name === "decision" && b.value === "allow"),
  );
  csrfTokens.push(consent!.fields.csrf_token ?? "");
  const cookieValues = browser.cookieNames().map((name) => browser.cookieValue(name) ?? "");
  const callback = await browser.follow(consent!.action, FLOW_REDIRECT_URI, {
    method: "POST",
    form: { ...consent!.fields, decision: "allow" },
  });
  const code = new URL(callback.url).searchParams.get("code") ?? "";
  expect(code).not.toBe("");

  const token = `${issuer}/oauth/token`;
  const exchanged = await postForm(
    token,
    {
      grant_type: "authorization_code",
      code,
      redirect_uri: FLOW_REDIRECT_URI,
      code_verifier: verifier,
    },
    basic,
  );
  expect(exchanged.status).toBe(200);
  const first = exchanged.body.refresh_token as string;
  const refreshed = await postForm(
    token,
    { grant_type: "refresh_token", refresh_token: first },
    basic,
  );
  expect(refreshed.status).toBe(200);
  const accessToken = refreshed.body.access_token as string;
  const second = refreshed.body.refresh_token as string;

  const secrets = {
    userId: user.id,
    clientId,
    password,
    clientSecret: secret ?? "",
    code,
    csrfTokens: csrfTokens.filter((t) => t !== ""),
    cookieValues: cookieValues.filter((v) => v !== ""),
    accessToken,
    idToken: exchanged.body.id_token as string,
    refreshTokens: [first, second],
  };
  if (options.replay) {
    const replayed = await postForm(
      token,
      { grant_type: "refresh_token", refresh_token: first },
      basic,
    );
    expect(replayed.body.error).toBe("invalid_grant");
    const again = await postForm(
      token,
      {
        grant_type: "authorization_code",
        code,
        redirect_uri: FLOW_REDIRECT_URI,
        code_verifier: verifier,
      },
      basic,
    );
    expect(again.body.error).toBe("invalid_grant");
    return secrets;
  }

  const introspected = await postForm(`${issuer}/oauth/introspect`, { token: accessToken }, basic);
  expect(introspected.body.active).toBe(true);
  expect((await postForm(`${issuer}/oauth/revoke`, { token: accessToken }, basic)).status).toBe(
    200,
  );
  expect((await postForm(`${issuer}/oauth/revoke`, { token: second }, basic)).status).toBe(200);

  return secrets;
}
