// The ceilings, measured in the same run as the targets: a bare Fastify route (what the HTTP
// stack alone allows) and a Fastify route that makes one RS256 signature of an access-token
// sized JWT with an RSA-2048 key (what an endpoint that must sign can reach at best). The bare
// route answers with a static JWKS of one RSA-2048 key, the size of Latchkey's on the bench's
// fresh database (about 460 bytes): the same body on the wire, so that the ratio measures
// Latchkey's work rather than the load generator reading a bigger answer than a 12-byte one.
// Started by ceilings.ts with the port in BENCH_PORT; prints one "ready" line.

import { generateKeyPairSync, randomBytes } from "node:crypto";
import Fastify from "fastify";
import { signRs256 } from "../../server/keys/jws.ts";

const port = Number(process.env.BENCH_PORT ?? "0");
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const app = Fastify({ logger: false });

function publicJwk() {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const { n, e } = publicKey.export({ format: "jwk" });
  const kid = randomBytes(32).toString("base64url");
  return { kty: "RSA", use: "sig", alg: "RS256", kid, n, e };
}
const jwks = JSON.stringify({ keys: [publicJwk()] });
app.get("/bare", (_request, reply) => {
  reply.type("application/json; charset=utf-8").send(jwks);
});

app.post("/rs256", async () => {
  const iat = Math.floor(Date.now() / 1000);
  const token = await signRs256(
    { alg: "RS256", kid: "ceiling", typ: "at+jwt" },
    {
      iss: "http://127.0.0.1",
      sub: "ceiling-client",
      aud: "https://api.bench.example",
      client_id: "ceiling-client",
      scope: "api:read",
      jti: randomBytes(16).toString("base64url"),
      iat,
      exp: iat + 900,
    },
    privateKey,
  );
  return { access_token: token, token_type: "Bearer", expires_in: 900, scope: "api:read" };
});

await app.listen({ port, host: "127.0.0.1" });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
process.on("SIGTERM", () => {
  app.close().then(() => process.exit(0));
});
