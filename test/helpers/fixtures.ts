// Fixtures built on the server's own business functions, against a test database.

import { createUser } from "../../server/accounts/users.ts";
import type { ClientMetadataInput } from "../../server/oauth/client-metadata.ts";
import { createClient } from "../../server/oauth/clients.ts";
import { openDatabase } from "../../server/store/db/index.ts";
import { migrateToLatest } from "../../server/store/db/migrate.ts";

export interface Fixtures {
  client(input: ClientMetadataInput): Promise<{ clientId: string; secret: string | null }>;
  user(email: string, password: string, name?: string): Promise<{ id: string; email: string }>;
  close(): Promise<void>;
}

export async function fixtures(databaseUrl: string): Promise<Fixtures> {
  const { db } = await openDatabase({ databaseUrl, dataDir: "/nonexistent" });
  await migrateToLatest(db);
  return {
    async client(input) {
      const { client, secret } = await createClient(db, input, new Date());
      return { clientId: client.id, secret };
    },
    async user(email, password, name) {
      const user = await createUser(db, { email, password, name: name ?? null }, new Date());
      return { id: user.id, email: user.email };
    },
    close: () => db.destroy(),
  };
}
