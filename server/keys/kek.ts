// The key-encryption key (KEK) that seals signing keys at rest. Production passes it in
// KEY_ENCRYPTION_KEY; the embedded default generates one into keys/kek on first start so a
// fresh clone runs with no configuration. That file lives next to the data it protects, so
// it is only as safe as the machine: hence the warning when the issuer is a public host.

import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { type Config, isLoopbackHost } from "../config.ts";
import type { Logger } from "../log.ts";

const KEK_BYTES = 32;

export async function loadKeyEncryptionKey(
  config: Pick<Config, "keyEncryptionKey" | "keysDir" | "issuer">,
  log: Logger,
): Promise<Buffer> {
  if (config.keyEncryptionKey !== null) return config.keyEncryptionKey;

  const file = path.join(config.keysDir, "kek");
  const kek = (await readKek(file)) ?? (await createKek(file));
  if (!isLoopbackHost(new URL(config.issuer).hostname)) {
    log.warn(
      { file },
      "KEY_ENCRYPTION_KEY is not set: signing keys are encrypted with a key stored on this " +
        "machine; set KEY_ENCRYPTION_KEY (openssl rand -base64 32) for a public deployment",
    );
  }
  return kek;
}

async function readKek(file: string): Promise<Buffer | null> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const kek = Buffer.from(text.trim(), "base64");
  if (kek.length !== KEK_BYTES) {
    throw new Error(`${file} does not hold a 32-byte base64 key-encryption key`);
  }
  return kek;
}

// Several processes may start together on a fresh clone (a server and a CLI command). The
// key is written to a private temporary file and then hard-linked into place: link() fails
// when the name exists, so exactly one key wins and nobody reads a half-written file.
async function createKek(file: string): Promise<Buffer> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  await fs.writeFile(temporary, `${randomBytes(KEK_BYTES).toString("base64")}\n`, {
    mode: 0o600,
    flag: "wx",
  });
  try {
    await fs.link(temporary, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    await fs.unlink(temporary);
  }
  const kek = await readKek(file);
  if (kek === null) throw new Error(`${file} vanished while it was being created`);
  return kek;
}
