// Limits on the requests that send mail (sign-up, password reset, a new verification link):
// per client IP, refused openly, and per recipient address, applied silently. The silent
// limit keeps anyone from flooding an inbox through Latchkey, and it counts known and unknown
// addresses alike, so hitting it says nothing about whether an address has an account.

import { createHash } from "node:crypto";
import type { SelfServiceConfig } from "../config.ts";
import type { KvStore } from "../store/kv/types.ts";

const WINDOW_SECONDS = 3600;

const ipKey = (ip: string) => `mail-requests:ip:${ip}`;
const addressKey = (email: string) =>
  `mail-requests:to:${createHash("sha256").update(email).digest("base64url")}`;

export interface MailThrottleDeps {
  kv: KvStore;
  config: { selfService: Pick<SelfServiceConfig, "mailRequestsPerIp" | "mailsPerAddress"> };
}

/** Counts a request from the IP; false once it has made more than its share this hour. */
export async function mailRequestAllowed(deps: MailThrottleDeps, ip: string): Promise<boolean> {
  const count = await deps.kv.increment(ipKey(ip), WINDOW_SECONDS);
  return count <= deps.config.selfService.mailRequestsPerIp;
}

/** Counts a mail to the (normalised) address; false once it has had its share this hour. */
export async function mailToAddressAllowed(
  deps: MailThrottleDeps,
  email: string,
): Promise<boolean> {
  const count = await deps.kv.increment(addressKey(email), WINDOW_SECONDS);
  return count <= deps.config.selfService.mailsPerAddress;
}
