// The embedded default's demo client and user, so that a newcomer can run a "Login with
// Latchkey" flow straight after `npm start`. Secrets are stored only as digests and hashes, so
// the plaintext credentials are kept in DATA_DIR/demo-credentials.json (mode 0600) to print
// them again at every start. This runs only when DEMO is on (the development default).

import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { verifyPassword } from "../accounts/passwords.ts";
import { createUser, setUserPassword } from "../accounts/users.ts";
import type { Deps } from "../deps.ts";
import { createClient, rotateClientSecret, verifyClientSecret } from "../oauth/clients.ts";
import { findClientById } from "../store/db/clients.ts";
import { findUserByEmail } from "../store/db/users.ts";

export interface DemoCredentials {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  email: string;
  password: string;
}

export const DEMO_EMAIL = "demo@example.com";
export const DEMO_REDIRECT_URI = "http://localhost:8080/callback";
const CREDENTIALS_FILE = "demo-credentials.json";

/**
 * Makes sure the demo client and user exist and that the saved credentials work: whatever
 * was deleted is created again, and a secret or password changed by an operator is reset.
 */
export async function seedDemo(
  deps: Pick<Deps, "config" | "db" | "now" | "log">,
): Promise<DemoCredentials> {
  const { db, log } = deps;
  const file = path.join(deps.config.dataDir, CREDENTIALS_FILE);
  const saved = await readCredentials(file);
  let changed = false;

  let clientId: string;
  let clientSecret: string;
  const client = saved ? await findClientById(db, saved.clientId) : null;
  if (saved && client && verifyClientSecret(client, saved.clientSecret)) {
    ({ clientId, clientSecret } = saved);
  } else if (client?.authMethod === "client_secret_basic") {
    const rotated = await rotateClientSecret(db, client.id, deps.now());
    clientId = client.id;
    clientSecret = rotated.secret!;
    changed = true;
  } else {
    const created = await createClient(
      db,
      {
        name: "Demo client",
        redirectUris: [DEMO_REDIRECT_URI],
        grantTypes: ["authorization_code", "refresh_token"],
        authMethod: "client_secret_basic",
        scope: "openid profile email offline_access",
      },
      deps.now(),
    );
    clientId = created.client.id;
    clientSecret = created.secret!;
    changed = true;
    log.info({ clientId }, "created the demo client");
  }

  let password = saved?.password ?? randomPassword();
  const user = await findUserByEmail(db, DEMO_EMAIL);
  if (!user) {
    await createUser(db, { email: DEMO_EMAIL, password, name: "Demo User" }, deps.now());
    changed = true;
    log.info({ email: DEMO_EMAIL }, "created the demo user");
  } else if (!saved || !(await verifyPassword(user.passwordHash, saved.password))) {
    password = randomPassword();
    await setUserPassword(db, DEMO_EMAIL, password, deps.now());
    changed = true;
  }

  const credentials: DemoCredentials = {
    clientId,
    clientSecret,
    redirectUri: DEMO_REDIRECT_URI,
    email: DEMO_EMAIL,
    password,
  };
  if (changed) await writeCredentials(file, credentials);
  return credentials;
}

function randomPassword(): string {
  return randomBytes(12).toString("base64url");
}

async function readCredentials(file: string): Promise<DemoCredentials | null> {
  let parsed: Partial<DemoCredentials>;
  try {
    parsed = JSON.parse(await fs.readFile(file, "utf8")) as Partial<DemoCredentials>;
  } catch (err) {
    // Missing or damaged: the demo is seeded afresh and the file rewritten.
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || err instanceof SyntaxError) return null;
    throw err;
  }
  const fields = [parsed.clientId, parsed.clientSecret, parsed.password];
  return fields.every((field) => typeof field === "string") ? (parsed as DemoCredentials) : null;
}

async function writeCredentials(file: string, credentials: DemoCredentials): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await fs.rename(temporary, file);
}
