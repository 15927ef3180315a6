// `npm run demo`: the demo relying party on http://localhost:8080, signing in against the
// Latchkey server that `npm start` runs, with the demo client printed at its start.
// DEMO_ISSUER, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET and DEMO_PORT override the defaults.

import { readFile } from "node:fs/promises";
import path from "node:path";
import { buildRelyingParty } from "./relying-party.ts";

interface SavedCredentials {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

async function main(): Promise<void> {
  const port = Number(process.env.DEMO_PORT ?? 8080);
  const issuer = process.env.DEMO_ISSUER ?? `http://localhost:${process.env.PORT ?? 3000}`;
  let clientId = process.env.DEMO_CLIENT_ID;
  let clientSecret = process.env.DEMO_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    const file = path.resolve(process.env.DATA_DIR ?? "data", "demo-credentials.json");
    let saved: SavedCredentials;
    try {
      saved = JSON.parse(await readFile(file, "utf8")) as SavedCredentials;
    } catch {
      throw new Error(`no demo client found in ${file}: run "npm start" once first`);
    }
    clientId = saved.clientId;
    clientSecret = saved.clientSecret;
  }
  let app: Awaited<ReturnType<typeof buildRelyingParty>>;
  try {
    app = await buildRelyingParty({
      issuer,
      clientId,
      clientSecret,
      redirectUri: `http://localhost:${port}/callback`,
    });
  } catch (err) {
    throw new Error(
      `cannot reach Latchkey at ${issuer} (is "npm start" running?): ${(err as Error).message}`,
    );
  }
  await app.listen({ port, host: "127.0.0.1" });
  process.stdout.write(`Demo app: http://localhost:${port}/ (signs in with ${issuer})\n`);
  const close = () => app.close().then(() => process.exit(0));
  process.on("SIGTERM", close);
  process.on("SIGINT", close);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
