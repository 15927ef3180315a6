import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import discoveryRoutes from "../../server/http/routes/discovery.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";

const DOCUMENTS = ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"];

describe("discovery", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ ISSUER: "https://id.example.com/tenant" });
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(DOCUMENTS)("%s names the issuer exactly and the JWKS", async (url) => {
    const res = await t.app.inject({ method: "GET", url });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("public, max-age=300");
    const document = res.json() as Record<string, unknown>;
    expect(document.issuer).toBe("https://id.example.com/tenant");
    expect(document.jwks_uri).toBe("https://id.example.com/tenant/oauth/jwks");
  });

  it("serves the same document at both well-known URIs", async () => {
    const [openid, oauth] = await Promise.all(
      DOCUMENTS.map((url) => t.app.inject({ method: "GET", url })),
    );
    expect(oauth!.body).toBe(openid!.body);
  });

  it("advertises no endpoint that the app does not serve", async () => {
    const document = (await t.app.inject({ method: "GET", url: DOCUMENTS[0] })).json() as Record<
      string,
      unknown
    >;
    const endpoints = Object.entries(document).filter(
      ([name, value]) =>
        name !== "issuer" && typeof value === "string" && value.startsWith("https://"),
    );
    expect(endpoints.length).toBeGreaterThan(0);
    for (const [name, value] of endpoints) {
      const path = (value as string).slice("https://id.example.com/tenant".length);
      const served = ["GET", "POST"].some((method) => t.app.hasRoute({ method, url: path }));
      expect(served, `${name} ${value}`).toBe(true);
    }
  });

  it("leaves out jwks_uri in an app that does not serve the JWKS", async () => {
    const bare = Fastify();
    await bare.register(discoveryRoutes, { deps: t.app.deps });
    try {
      const res = await bare.inject({ method: "GET", url: DOCUMENTS[0] });
      expect(res.json()).toEqual({ issuer: "https://id.example.com/tenant" });
    } finally {
      await bare.close();
    }
  });
});
