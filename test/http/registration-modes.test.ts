// REGISTRATION=token: registering needs the operator's initial access token as a Bearer token,
// checked before the body is read. REGISTRATION=off (the production default): neither the
// endpoints nor their discovery entry exist.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  expectBearerRefusal,
  expectClientInformation,
  manage,
  register,
} from "../helpers/registration.ts";

const INITIAL = "initial-access-token-0123456789abcdefghij";
const WEB = { client_name: "Partner app", redirect_uris: ["https://rp.example.com/callback"] };

async function discovery(t: TestApp): Promise<Record<string, unknown>> {
  const res = await t.app.inject({ method: "GET", url: "/.well-known/oauth-authorization-server" });
  return res.json() as Record<string, unknown>;
}

describe("REGISTRATION=token", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ REGISTRATION: "token", REGISTRATION_ACCESS_TOKEN: INITIAL });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("registers a client for the holder of the initial access token", async () => {
    const res = await register(t.app, WEB, { authorization: `Bearer ${INITIAL}` });
    expect(expectClientInformation(res).client_name).toBe("Partner app");
  });

  it("refuses a request without a token with a bare Bearer challenge", async () => {
    const res = await register(t.app, WEB);
    expectBearerRefusal(res);
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="latchkey"');
  });

  it.each([
    ["a wrong token", `Bearer ${INITIAL.slice(0, -1)}x`],
    ["a prefix of the token", `Bearer ${INITIAL.slice(0, 32)}`],
    ["another scheme", `Basic ${Buffer.from(`x:${INITIAL}`).toString("base64")}`],
  ])("refuses %s with invalid_token", async (_, authorization) => {
    const res = await register(t.app, WEB, { authorization });
    expectBearerRefusal(res);
  });

  it("names the error in the challenge of a wrong token", async () => {
    const res = await register(t.app, WEB, { authorization: "Bearer wrong" });
    expect(res.headers["www-authenticate"]).toBe(
      'Bearer realm="latchkey", error="invalid_token", error_description="The initial access token is not valid."',
    );
  });

  it("checks the token before reading the body", async () => {
    expectBearerRefusal(await register(t.app, "{not json"));
    const form = await t.app.inject({
      method: "POST",
      url: "/oauth/register",
      headers: { "content-type": "text/plain" },
      payload: "x",
    });
    expectBearerRefusal(form);
  });

  it("does not let the initial access token manage clients", async () => {
    const created = expectClientInformation(
      await register(t.app, WEB, { authorization: `Bearer ${INITIAL}` }),
    );
    const id = created.client_id as string;
    expectBearerRefusal(await manage(t.app, "GET", id, INITIAL));
    const own = await manage(t.app, "GET", id, created.registration_access_token as string);
    expect(own.statusCode).toBe(200);
  });

  it("advertises the registration endpoint", async () => {
    expect((await discovery(t)).registration_endpoint).toBe(`${t.config.issuer}/oauth/register`);
  });
});

describe("REGISTRATION=off", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("is the default with DATABASE_URL", () => {
    expect(t.config.registration).toBe("off");
  });

  it("serves no registration endpoints", async () => {
    const res = await register(t.app, WEB);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: "not_found" });
    expect((await manage(t.app, "GET", "0".repeat(32), "A".repeat(43))).statusCode).toBe(404);
  });

  it("advertises no registration endpoint", async () => {
    expect(await discovery(t)).not.toHaveProperty("registration_endpoint");
  });
});
