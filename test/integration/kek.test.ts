import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadKeyEncryptionKey } from "../../server/keys/kek.ts";
import type { Logger } from "../../server/log.ts";
import { silentLogger } from "../../server/log.ts";
import { tempDir } from "../helpers/server-process.ts";

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warnings, warn: (_obj, msg) => warnings.push(msg ?? "") };
}

describe("the key-encryption key", () => {
  it("uses KEY_ENCRYPTION_KEY when set and writes nothing", async () => {
    const keysDir = path.join(await tempDir("keys"), "keys");
    const kek = randomBytes(32);
    const log = recordingLogger();
    const loaded = await loadKeyEncryptionKey(
      { keyEncryptionKey: kek, keysDir, issuer: "https://id.example.com" },
      log,
    );
    expect(loaded.equals(kek)).toBe(true);
    await expect(fs.stat(keysDir)).rejects.toThrow(/ENOENT/);
    expect(log.warnings).toEqual([]);
  });

  it("generates keys/kek once, private to the owner, and reuses it", async () => {
    const keysDir = path.join(await tempDir("keys"), "nested", "keys");
    const config = { keyEncryptionKey: null, keysDir, issuer: "http://localhost:3000" };
    const log = recordingLogger();
    const first = await loadKeyEncryptionKey(config, log);
    const second = await loadKeyEncryptionKey(config, log);
    expect(first).toHaveLength(32);
    expect(second.equals(first)).toBe(true);
    const file = path.join(keysDir, "kek");
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from(await fs.readFile(file, "utf8"), "base64").equals(first)).toBe(true);
    expect(await fs.readdir(keysDir)).toEqual(["kek"]);
    expect(log.warnings).toEqual([]);
  });

  it("gives processes starting together the same key", async () => {
    const keysDir = await tempDir("keys");
    const config = { keyEncryptionKey: null, keysDir, issuer: "http://127.0.0.1:3000" };
    const keys = await Promise.all(
      Array.from({ length: 8 }, () => loadKeyEncryptionKey(config, silentLogger)),
    );
    for (const kek of keys) expect(kek.equals(keys[0]!)).toBe(true);
    expect(await fs.readdir(keysDir)).toEqual(["kek"]);
  });

  it("warns when the generated key protects a public issuer", async () => {
    const log = recordingLogger();
    await loadKeyEncryptionKey(
      { keyEncryptionKey: null, keysDir: await tempDir("keys"), issuer: "https://id.example.com" },
      log,
    );
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toMatch(/KEY_ENCRYPTION_KEY is not set/);
  });

  it("refuses a damaged key file, naming it", async () => {
    const keysDir = await tempDir("keys");
    await fs.writeFile(path.join(keysDir, "kek"), "c2hvcnQ=\n");
    await expect(
      loadKeyEncryptionKey(
        { keyEncryptionKey: null, keysDir, issuer: "http://localhost:3000" },
        silentLogger,
      ),
    ).rejects.toThrow(`${path.join(keysDir, "kek")} does not hold a 32-byte base64`);
  });
});
