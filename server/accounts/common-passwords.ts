// The list of common passwords the policy refuses (NIST SP 800-63B §5.1.1.2: "values known to
// be commonly-used"), shipped as common-passwords.txt and read once, on first use.

import { readFileSync } from "node:fs";

let list: Set<string> | null = null;

function commonPasswords(): Set<string> {
  list ??= new Set(
    readFileSync(new URL("./common-passwords.txt", import.meta.url), "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#")),
  );
  return list;
}

/** True for a password on the list, whatever its case (after NFKC normalisation). */
export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.normalize("NFKC").toLowerCase());
}
