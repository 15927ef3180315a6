// Applies the timestamp-named migrations in migrations/ in order. Kysely's Postgres adapter
// holds a Postgres advisory lock for the whole run, so instances starting together take
// turns and each migration is applied exactly once.

import { readdir } from "node:fs/promises";
import { type Migration, type MigrationProvider, Migrator } from "kysely";
import type { Db } from "./index.ts";

const MIGRATIONS_DIR = new URL("../../../migrations/", import.meta.url);

class FolderMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{14}_[\w-]+\.ts$/.test(f));
    for (const file of files.sort()) {
      const module = (await import(new URL(file, MIGRATIONS_DIR).href)) as Migration;
      migrations[file.replace(/\.ts$/, "")] = module;
    }
    return migrations;
  }
}

export class MigrationError extends Error {
  constructor(migration: string, cause: unknown) {
    super(`migration ${migration} failed: ${cause instanceof Error ? cause.message : cause}`, {
      cause,
    });
    this.name = "MigrationError";
  }
}

/** Runs every pending migration and returns the names of those it applied. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new FolderMigrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error) throw new MigrationError(failed?.migrationName ?? "(setup)", error);
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
