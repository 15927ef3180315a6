// The body of a registration or update request (RFC 7591 §2, §3.1; RFC 7592 §2.2): member
// types, defaults, empty values, unknown members and the members only the server sets.

import { describe, expect, it } from "vitest";
import { parseRegistrationBody } from "../../server/oauth/registration-request.ts";

describe("the registration request body", () => {
  it("fills in the RFC 7591 §2 defaults and forces consent", () => {
    expect(parseRegistrationBody({ redirect_uris: ["https://a.example/cb"] })).toEqual({
      metadata: expect.objectContaining({
        redirectUris: ["https://a.example/cb"],
        grantTypes: ["authorization_code"],
        responseTypes: undefined,
        authMethod: undefined,
        skipConsent: false,
      }),
      clientName: undefined,
      clientId: undefined,
      clientSecret: undefined,
      serverManaged: [],
    });
    expect(parseRegistrationBody({ skip_consent: true }).metadata.skipConsent).toBe(false);
  });

  it("treats null and empty values as absent and ignores unknown members", () => {
    const parsed = parseRegistrationBody({
      client_name: "",
      logo_uri: null,
      grant_types: [],
      contacts: [],
      jwks: null,
      software_statement: "eyJ...",
      "client_name#ja-Jpan-JP": "クライアント名",
      frobnicate: { deeply: ["nested"] },
    });
    expect(parsed.clientName).toBeUndefined();
    expect(parsed.metadata).toMatchObject({
      logoUri: undefined,
      grantTypes: ["authorization_code"],
    });
    expect(parsed.metadata.jwks).toBeUndefined();
  });

  it("names the server-managed members an update must not carry", () => {
    const parsed = parseRegistrationBody({
      client_id: "abc",
      client_secret: "s",
      registration_access_token: "t",
      client_id_issued_at: 0,
    });
    expect(parsed).toMatchObject({ clientId: "abc", clientSecret: "s" });
    expect(parsed.serverManaged).toEqual(["registration_access_token", "client_id_issued_at"]);
  });

  it.each([
    [
      { redirect_uris: "https://a.example/cb" },
      "invalid_redirect_uri",
      "redirect_uris must be an array of strings.",
    ],
    [{ redirect_uris: [1] }, "invalid_redirect_uri", "redirect_uris must be an array of strings."],
    [
      { grant_types: "authorization_code" },
      "invalid_client_metadata",
      "grant_types must be an array",
    ],
    [{ contacts: [{}] }, "invalid_client_metadata", "contacts must be an array of strings."],
    [{ client_name: 42 }, "invalid_client_metadata", "client_name must be a string."],
    [{ scope: ["openid"] }, "invalid_client_metadata", "scope must be a string."],
    [{ token_endpoint_auth_method: true }, "invalid_client_metadata", "must be a string."],
    [{ client_id: 7 }, "invalid_request", "client_id must be a string."],
  ])("refuses %j with %s", (body, code, message) => {
    expect(() => parseRegistrationBody(body)).toThrow(message);
    try {
      parseRegistrationBody(body);
    } catch (err) {
      expect((err as { error: string }).error).toBe(code);
    }
  });

  it.each([[[]], [null], ["text"], [42]])("refuses a body that is not an object: %j", (body) => {
    expect(() => parseRegistrationBody(body)).toThrow(
      expect.objectContaining({ error: "invalid_request" }),
    );
  });
});
