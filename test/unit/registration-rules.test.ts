// The client metadata rules as Dynamic Client Registration applies them: RFC 7591 §2.1
// grant/response type consistency, §3.2.2 error codes, the descriptive metadata of §2,
// and the stricter checks on the keys of a self-registered private_key_jwt client.

import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type ClientMetadataInput,
  OPERATOR_RULES,
  resolveClientMetadata,
  webUriProblem,
} from "../../server/oauth/client-metadata.ts";
import { REGISTRATION_RULES } from "../../server/oauth/registration-request.ts";

const publicJwk = (type: "rsa" | "ec" | "x25519", bits = 2048) => {
  const { publicKey } =
    type === "rsa"
      ? generateKeyPairSync("rsa", { modulusLength: bits })
      : type === "ec"
        ? generateKeyPairSync("ec", { namedCurve: "P-256" })
        : generateKeyPairSync("x25519");
  return publicKey.export({ format: "jwk" }) as Record<string, unknown>;
};

const CODE_CLIENT = { name: "app", redirectUris: ["https://a.example/cb"] };

/** The error code and description a registration with these changes is refused with. */
function refusal(input: Partial<ClientMetadataInput>, rules = REGISTRATION_RULES) {
  try {
    resolveClientMetadata({ ...CODE_CLIENT, ...input }, rules);
  } catch (err) {
    const { error, description, status } = err as {
      error: string;
      description: string;
      status: number;
    };
    return { error, description, status };
  }
  throw new Error("accepted");
}

describe("response types (RFC 7591 §2.1)", () => {
  it("follow the grant types when absent", () => {
    expect(resolveClientMetadata(CODE_CLIENT, REGISTRATION_RULES).responseTypes).toEqual(["code"]);
    const machine = resolveClientMetadata(
      { name: "svc", grantTypes: ["client_credentials"] },
      REGISTRATION_RULES,
    );
    expect(machine.responseTypes).toEqual([]);
  });

  it.each([
    [{ responseTypes: ["token"] }, 'Unsupported response type "token"; only "code" is offered.'],
    [{ responseTypes: ["code id_token"] }, 'Unsupported response type "code id_token"'],
    [
      { redirectUris: [], grantTypes: ["client_credentials"], responseTypes: ["code"] },
      "The response type code needs the authorization_code grant.",
    ],
  ])("refuses %j", (input, message) => {
    expect(refusal(input)).toMatchObject({ error: "invalid_client_metadata", status: 400 });
    expect(refusal(input).description).toContain(message);
  });
});

describe("error codes", () => {
  it.each([
    [{ redirectUris: ["http://a.example/cb"] }, "invalid_redirect_uri"],
    [{ redirectUris: ["https://a.example/cb#x"] }, "invalid_redirect_uri"],
    [{ redirectUris: [], grantTypes: ["authorization_code"] }, "invalid_redirect_uri"],
    [{ grantTypes: ["client_credentials"] }, "invalid_redirect_uri"],
    [{ postLogoutRedirectUris: ["http://a.example/bye"] }, "invalid_client_metadata"],
    [{ grantTypes: ["implicit"] }, "invalid_client_metadata"],
    [{ authMethod: "client_secret_jwt" }, "invalid_client_metadata"],
    [{ scope: 'a "b"' }, "invalid_client_metadata"],
    [{ name: " " }, "invalid_client_metadata"],
  ])("answers %j with %s, and the operator with invalid_request", (input, code) => {
    expect(refusal(input).error).toBe(code);
    expect(refusal(input, OPERATOR_RULES).error).toBe("invalid_request");
  });
});

describe("descriptive metadata (RFC 7591 §2)", () => {
  it("keeps the page and logo URIs and the contacts", () => {
    const metadata = resolveClientMetadata(
      {
        ...CODE_CLIENT,
        clientUri: "https://a.example/",
        logoUri: "https://a.example/logo.png",
        policyUri: "https://a.example/legal#privacy",
        tosUri: "http://localhost:8080/tos",
        contacts: ["ops@a.example", "ops@a.example", "+1 555 0100"],
      },
      REGISTRATION_RULES,
    );
    expect(metadata).toMatchObject({
      clientUri: "https://a.example/",
      logoUri: "https://a.example/logo.png",
      policyUri: "https://a.example/legal#privacy",
      tosUri: "http://localhost:8080/tos",
      contacts: ["ops@a.example", "+1 555 0100"],
    });
  });

  it.each([
    ["https://a.example/x#y", null],
    ["http://127.0.0.1/x", null],
    ["http://a.example/", "must use https (http is allowed only for loopback hosts)"],
    ["javascript:alert(1)", "must use https (http is allowed only for loopback hosts)"],
    ["data:image/png;base64,AAAA", "must use https (http is allowed only for loopback hosts)"],
    ["/logo.png", "is not an absolute URI"],
    ["https://u:p@a.example/", "must not contain credentials"],
  ])("web URI %j: %s", (uri, problem) => {
    expect(webUriProblem(uri)).toBe(problem);
  });

  it.each([
    [{ logoUri: "http://a.example/logo.png" }, 'Invalid logo_uri "http://a.example/logo.png"'],
    [{ clientUri: "ftp://a.example/" }, 'Invalid client_uri "ftp://a.example/"'],
    [{ policyUri: "policy" }, 'Invalid policy_uri "policy"'],
    [{ tosUri: "https://a.example/ tos" }, 'Invalid tos_uri "https://a.example/ tos"'],
    [{ contacts: [""] }, "Every contact must have 1 to 320 printable characters."],
    [{ contacts: ["a\nb"] }, "Every contact must have 1 to 320 printable characters."],
    [{ contacts: Array.from({ length: 11 }, (_, i) => `c${i}`) }, "At most 10 contacts"],
    [{ idTokenSignedResponseAlg: "HS256" }, "ID tokens are signed with RS256 only."],
    [{ idTokenSignedResponseAlg: "none" }, "ID tokens are signed with RS256 only."],
  ])("refuses %j", (input, message) => {
    const { error, description } = refusal(input);
    expect(error).toBe("invalid_client_metadata");
    expect(description).toContain(message);
  });

  it("accepts id_token_signed_response_alg RS256", () => {
    expect(() =>
      resolveClientMetadata(
        { ...CODE_CLIENT, idTokenSignedResponseAlg: "RS256" },
        REGISTRATION_RULES,
      ),
    ).not.toThrow();
  });
});

describe("keys of a self-registered private_key_jwt client", () => {
  const signer = (input: Partial<ClientMetadataInput>) => ({
    authMethod: "private_key_jwt",
    ...input,
  });

  it("accepts real public RSA and EC keys, or an https JWKS URI", () => {
    const jwks = {
      keys: [
        { ...publicJwk("rsa"), kid: "r1" },
        { ...publicJwk("ec"), kid: "e1" },
      ],
    };
    const byValue = resolveClientMetadata(
      { ...CODE_CLIENT, ...signer({ jwks }) },
      REGISTRATION_RULES,
    );
    expect(byValue.jwks).toEqual(jwks);
    const byUri = resolveClientMetadata(
      { ...CODE_CLIENT, ...signer({ jwksUri: "https://a.example/jwks.json" }) },
      REGISTRATION_RULES,
    );
    expect(byUri.jwksUri).toBe("https://a.example/jwks.json");
  });

  const twins = [
    { ...publicJwk("ec"), kid: "k" },
    { ...publicJwk("ec"), kid: "k" },
  ];
  it.each([
    { message: "exactly one of a JWKS URI and a JWK Set", input: signer({}) },
    {
      message: "exactly one of a JWKS URI and a JWK Set",
      input: signer({ jwks: { keys: [publicJwk("ec")] }, jwksUri: "https://a.example/j" }),
    },
    { message: "only with private_key_jwt", input: { jwks: { keys: [publicJwk("ec")] } } },
    { message: "it must use https.", input: signer({ jwksUri: "http://localhost/jwks" }) },
    { message: "must not contain a fragment", input: signer({ jwksUri: "https://a.example/j#k" }) },
    {
      message: "not a valid public key",
      input: signer({ jwks: { keys: [{ kty: "EC", crv: "P-256", x: "eA", y: "eQ" }] } }),
    },
    {
      message: "public keys only",
      input: signer({ jwks: { keys: [{ ...publicJwk("rsa"), d: "secret" }] } }),
    },
    { message: "at least 2048 bits", input: signer({ jwks: { keys: [publicJwk("rsa", 1024)] } }) },
    { message: "Ed25519 or Ed448", input: signer({ jwks: { keys: [publicJwk("x25519")] } }) },
    {
      message: 'use "sig"',
      input: signer({ jwks: { keys: [{ ...publicJwk("ec"), use: "enc" }] } }),
    },
    { message: "distinct kid values", input: signer({ jwks: { keys: twins } }) },
    { message: "1 to 10 keys", input: signer({ jwks: { keys: [] } }) },
    { message: '"keys" array', input: signer({ jwks: "keys" }) },
  ])("refuses with: $message", ({ input, message }) => {
    const { error, description } = refusal(input);
    expect(error).toBe("invalid_client_metadata");
    expect(description).toContain(message);
  });

  it("lets the operator register a loopback http JWKS URI and keys it vouches for", () => {
    expect(() =>
      resolveClientMetadata(
        { name: "svc", ...signer({ jwksUri: "http://localhost:9000/jwks" }) },
        OPERATOR_RULES,
      ),
    ).not.toThrow();
  });
});
