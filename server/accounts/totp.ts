// TOTP (RFC 6238) over HOTP (RFC 4226), with the parameters every authenticator app supports:
// HMAC-SHA1, 6 digits, 30-second steps from the Unix epoch, a 160-bit secret (the length
// RFC 4226 §4 recommends). A code is checked against the current step and one step either
// side, so a phone clock off by up to 30 s still works; which step matched is returned, so
// the caller can refuse that step and every earlier one afterwards (RFC 6238 §5.2).

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Steps accepted on either side of the current one (RFC 6238 §5.2's "one time step"). */
export const TOTP_WINDOW = 1;
const SECRET_BYTES = 20;

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function generateTotpSecret(): Buffer {
  return randomBytes(SECRET_BYTES);
}

/** RFC 4648 base32 without padding: how authenticator apps take a secret. */
export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** Decodes base32, ignoring case, spaces and padding; throws on any other character. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, "").toUpperCase();
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = BASE32_ALPHABET.indexOf(char);
    if (index < 0) throw new Error(`not a base32 character: ${JSON.stringify(char)}`);
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** HOTP (RFC 4226 §5.3): HMAC-SHA1 of the 8-byte counter, dynamically truncated. */
export function hotp(secret: Buffer, counter: number, digits = TOTP_DIGITS): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const hmac = createHmac("sha1", secret).update(message).digest();
  const offset = hmac[hmac.length - 1]! & 0x0f;
  const binary = hmac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** The time step T of RFC 6238 §4.2 at a moment. */
export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

export function totpCode(secret: Buffer, at: Date, digits = TOTP_DIGITS): string {
  return hotp(secret, totpStep(at), digits);
}

/** Whether the input has the shape of a TOTP code (spaces, as apps show them, allowed). */
export function looksLikeTotpCode(input: string): boolean {
  return new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(input.replace(/\s/g, ""));
}

/**
 * The time step whose code the input is, within the window around `at`, or null. Every
 * step of the window is compared in constant time, so the time taken says nothing about
 * which one matched.
 */
export function matchTotpStep(secret: Buffer, input: string, at: Date): number | null {
  const code = input.replace(/\s/g, "");
  if (!looksLikeTotpCode(code)) return null;
  const presented = Buffer.from(code);
  const now = totpStep(at);
  let matched: number | null = null;
  for (let step = now - TOTP_WINDOW; step <= now + TOTP_WINDOW; step++) {
    if (timingSafeEqual(Buffer.from(hotp(secret, step)), presented) && matched === null) {
      matched = step;
    }
  }
  return matched;
}

/**
 * The otpauth URI authenticator apps read from the QR code (the Key Uri Format of Google
 * Authenticator, which every app follows): the issuer both as label prefix and parameter.
 */
export function otpauthUri(issuerName: string, accountName: string, secret: Buffer): string {
  const label = `${encodeURIComponent(issuerName)}:${encodeURIComponent(accountName)}`;
  const params = new URLSearchParams({
    secret: base32Encode(secret),
    issuer: issuerName,
    algorithm: "SHA1",
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SECONDS),
  });
  return `otpauth://totp/${label}?${params.toString()}`;
}

/** The secret as people type it: base32 in groups of four. */
export function formatSecretForTyping(secret: Buffer): string {
  return base32Encode(secret).replace(/(.{4})(?=.)/g, "$1 ");
}
