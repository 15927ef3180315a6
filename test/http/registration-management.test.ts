// The client configuration endpoint (RFC 7592): reading, replacing and deleting a registration
// with its registration access token, and the same 401 for a wrong token, another client's
// token, an unknown client, an operator-made client and a deleted one.

import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClient } from "../../server/oauth/clients.ts";
import { findClientById } from "../../server/store/db/clients.ts";
import { buildTestApp, type TestApp } from "../helpers/app.ts";
import {
  asUpdate,
  expectBearerRefusal,
  expectClientInformation,
  expectRegistrationError,
  type Json,
  manage,
  register,
} from "../helpers/registration.ts";

const sha256 = (value: string) => createHash("sha256").update(value).digest("base64url");
const METADATA = {
  client_name: "Photo Printer",
  redirect_uris: ["https://rp.example.com/callback"],
  grant_types: ["authorization_code", "refresh_token"],
  logo_uri: "https://rp.example.com/logo.png",
  contacts: ["ops@rp.example.com"],
};

let t: TestApp;
let registered: Json;
let id: string;
let token: string;

beforeAll(async () => {
  t = await buildTestApp({ REGISTRATION: "open" });
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  registered = expectClientInformation(await register(t.app, METADATA));
  id = registered.client_id as string;
  token = registered.registration_access_token as string;
});

describe("reading a registration", () => {
  it("returns the registration without the secret, echoing the token", async () => {
    const info = expectClientInformation(await manage(t.app, "GET", id, token), 200);
    const { client_secret: _secret, ...rest } = registered;
    expect(info).toEqual(rest);
  });

  it("refuses a wrong token, another client's token and a missing one with 401", async () => {
    const other = expectClientInformation(await register(t.app, METADATA));
    const tampered = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    expectBearerRefusal(await manage(t.app, "GET", id, tampered));
    expectBearerRefusal(await manage(t.app, "GET", id, other.registration_access_token as string));
    const missing = await manage(t.app, "GET", id, null);
    expectBearerRefusal(missing);
    expect(missing.headers["www-authenticate"]).toBe('Bearer realm="latchkey"');
  });

  it("answers an unknown client exactly like a wrong token", async () => {
    const unknown = await manage(t.app, "GET", "0".repeat(32), token);
    const wrong = await manage(t.app, "GET", id, "A".repeat(43));
    expectBearerRefusal(unknown);
    expect(unknown.body).toBe(wrong.body);
    expect(unknown.headers["www-authenticate"]).toBe(wrong.headers["www-authenticate"]);
  });

  it("cannot be used for a client the operator made, which has no token", async () => {
    const { client } = await createClient(
      t.app.deps.db,
      { name: "Operator's", redirectUris: ["https://op.example.com/cb"] },
      new Date(),
    );
    expectBearerRefusal(await manage(t.app, "GET", client.id, token));
    expectBearerRefusal(await manage(t.app, "DELETE", client.id, token));
    expect(await findClientById(t.app.deps.db, client.id)).not.toBeNull();
  });

  it("refuses a token in the query string", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: `/oauth/register/${id}?access_token=${token}`,
    });
    expectRegistrationError(res, "invalid_request");
  });
});

describe("replacing a registration", () => {
  it("replaces every member: what is left out is removed or defaulted", async () => {
    const update = asUpdate(registered, {
      client_name: "Photo Printer 2",
      redirect_uris: ["https://rp.example.com/v2/callback"],
      grant_types: undefined,
      logo_uri: undefined,
      contacts: undefined,
      scope: undefined,
      policy_uri: "https://rp.example.com/privacy",
    });
    const info = expectClientInformation(await manage(t.app, "PUT", id, token, update), 200);
    expect(info).toEqual({
      ...asUpdate(registered),
      client_id_issued_at: registered.client_id_issued_at,
      client_secret_expires_at: 0,
      registration_access_token: token,
      registration_client_uri: registered.registration_client_uri,
      client_name: "Photo Printer 2",
      redirect_uris: ["https://rp.example.com/v2/callback"],
      grant_types: ["authorization_code"],
      scope: "openid profile email",
      policy_uri: "https://rp.example.com/privacy",
      logo_uri: undefined,
      contacts: undefined,
    });
    expect(expectClientInformation(await manage(t.app, "GET", id, token), 200)).toEqual(info);
  });

  it("keeps the secret and the token", async () => {
    const info = expectClientInformation(
      await manage(t.app, "PUT", id, token, asUpdate(registered, { client_name: "Renamed" })),
      200,
    );
    expect(info).not.toHaveProperty("client_secret");
    expect(info.registration_access_token).toBe(token);
    const stored = await findClientById(t.app.deps.db, id);
    expect(stored?.secretDigest).toBe(sha256(registered.client_secret as string));
    expect(stored?.registrationTokenDigest).toBe(sha256(token));
  });

  it("accepts the current secret in the body and refuses any other", async () => {
    const secret = registered.client_secret as string;
    const same = await manage(
      t.app,
      "PUT",
      id,
      token,
      asUpdate(registered, { client_secret: secret }),
    );
    expectClientInformation(same, 200);
    const other = await manage(
      t.app,
      "PUT",
      id,
      token,
      asUpdate(registered, { client_secret: "x" }),
    );
    expectRegistrationError(other, "invalid_request");
  });

  it("drops the secret of a client turning public and issues one when it turns back", async () => {
    const pub = expectClientInformation(
      await manage(
        t.app,
        "PUT",
        id,
        token,
        asUpdate(registered, { token_endpoint_auth_method: "none" }),
      ),
      200,
    );
    expect(pub).not.toHaveProperty("client_secret_expires_at");
    expect((await findClientById(t.app.deps.db, id))?.secretDigest).toBeNull();
    const conf = expectClientInformation(
      await manage(
        t.app,
        "PUT",
        id,
        token,
        asUpdate(pub, { token_endpoint_auth_method: "client_secret_post" }),
      ),
      200,
    );
    expect(conf).toMatchObject({ client_secret: expect.any(String), client_secret_expires_at: 0 });
    expect(conf.client_secret).not.toBe(registered.client_secret);
    expect((await findClientById(t.app.deps.db, id))?.secretDigest).toBe(
      sha256(conf.client_secret as string),
    );
  });

  it.each([
    [
      "no client_id",
      { client_id: undefined },
      "An update must include the client's own client_id.",
    ],
    [
      "another client_id",
      { client_id: "f".repeat(32) },
      "An update must include the client's own client_id.",
    ],
    [
      "the registration access token",
      { registration_access_token: "x" },
      "must not include registration_access_token",
    ],
    ["client_id_issued_at", { client_id_issued_at: 1 }, "must not include client_id_issued_at"],
  ])("refuses an update with %s", async (_, changes, message) => {
    const res = await manage(t.app, "PUT", id, token, asUpdate(registered, changes));
    expect(expectRegistrationError(res, "invalid_request")).toContain(message);
  });

  it("refuses invalid metadata and changes nothing", async () => {
    const before = await findClientById(t.app.deps.db, id);
    const res = await manage(
      t.app,
      "PUT",
      id,
      token,
      asUpdate(registered, { redirect_uris: ["http://rp.example.com/cb"] }),
    );
    expectRegistrationError(res, "invalid_redirect_uri");
    const scope = await manage(t.app, "PUT", id, token, asUpdate(registered, { scope: "admin" }));
    expectRegistrationError(scope, "invalid_client_metadata");
    expect(await findClientById(t.app.deps.db, id)).toEqual(before);
  });

  it("refuses a wrong token before looking at the body", async () => {
    expectBearerRefusal(await manage(t.app, "PUT", id, "A".repeat(43), { nonsense: true }));
  });
});

describe("deleting a registration", () => {
  it("deletes the client, after which its token opens nothing", async () => {
    const res = await manage(t.app, "DELETE", id, token);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe("");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(await findClientById(t.app.deps.db, id)).toBeNull();
    expectBearerRefusal(await manage(t.app, "GET", id, token));
    expectBearerRefusal(await manage(t.app, "PUT", id, token, asUpdate(registered)));
    expectBearerRefusal(await manage(t.app, "DELETE", id, token));
  });

  it("refuses a wrong token and keeps the client", async () => {
    expectBearerRefusal(await manage(t.app, "DELETE", id, "A".repeat(43)));
    expect(await findClientById(t.app.deps.db, id)).not.toBeNull();
  });
});
