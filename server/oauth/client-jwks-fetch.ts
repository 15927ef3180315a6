// Fetching the JWK Set behind a private_key_jwt client's jwks_uri (RFC 7591 §2). The URI is
// chosen by whoever registered the client, so the fetch is treated as hostile: https only
// (http on loopback hosts, for development and tests), a redirect is a failure rather than
// being followed (it could lead to plain http or to an internal address), the whole exchange
// has one deadline, and the body is cut off at a size no key set needs.
//
// Results are cached per URI in this process, for the response's Cache-Control max-age
// clamped to a range: long enough that a busy client does not cost a fetch per request,
// short enough that a rotated key is picked up. The number of cached sets is bounded, oldest
// first out, so registering many clients cannot grow memory without limit.

import { request } from "undici";
import { isLoopbackHost } from "../config.ts";
import { OAuthError } from "../errors.ts";
import type { JsonWebKeySet } from "../store/db/clients.ts";
import { resolveClientKeys } from "./client-jwks.ts";

export interface JwksFetchLimits {
  /** One deadline for connecting, the headers and the body, in milliseconds. */
  timeoutMs: number;
  maxBytes: number;
  maxEntries: number;
  /** Clamp of the cache lifetime taken from Cache-Control max-age, in seconds. */
  minTtl: number;
  maxTtl: number;
  /** Lifetime when the response names none, in seconds. */
  defaultTtl: number;
}

export const JWKS_FETCH_LIMITS: JwksFetchLimits = {
  timeoutMs: 3000,
  maxBytes: 64 * 1024,
  maxEntries: 1000,
  minTtl: 60,
  maxTtl: 3600,
  defaultTtl: 300,
};

export interface FetchedJwks {
  jwks: JsonWebKeySet;
  /** When this copy was fetched, so callers can rate-limit forced refetches. */
  fetchedAt: number;
}

export interface ClientJwksSource {
  /** The key set at `uri`, from the cache unless `refresh` asks for a new fetch. */
  get(uri: string, options?: { refresh?: boolean }): Promise<FetchedJwks>;
}

/** Thrown for every fetch failure; the message is for the log only. */
export class JwksFetchError extends Error {
  override name = "JwksFetchError";
}

interface Entry extends FetchedJwks {
  expiresAt: number;
}

export function createClientJwksSource(
  now: () => Date,
  limits: JwksFetchLimits = JWKS_FETCH_LIMITS,
): ClientJwksSource {
  const cache = new Map<string, Entry>();
  // Concurrent requests of one client share one fetch instead of starting one each.
  const inFlight = new Map<string, Promise<FetchedJwks>>();

  async function load(uri: string): Promise<FetchedJwks> {
    const { jwks, maxAge } = await fetchJwks(uri, limits);
    const fetchedAt = now().getTime();
    const ttl = Math.min(limits.maxTtl, Math.max(limits.minTtl, maxAge ?? limits.defaultTtl));
    cache.delete(uri);
    cache.set(uri, { jwks, fetchedAt, expiresAt: fetchedAt + ttl * 1000 });
    while (cache.size > limits.maxEntries) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
    return { jwks, fetchedAt };
  }

  return {
    get(uri, options = {}) {
      const cached = cache.get(uri);
      if (!options.refresh && cached && cached.expiresAt > now().getTime()) {
        return Promise.resolve({ jwks: cached.jwks, fetchedAt: cached.fetchedAt });
      }
      const pending = inFlight.get(uri);
      if (pending) return pending;
      const started = load(uri).finally(() => inFlight.delete(uri));
      inFlight.set(uri, started);
      return started;
    },
  };
}

/**
 * Abandons a response body. Destroying it makes undici emit an abort error, which nobody
 * needs to hear about: the reason is already in the JwksFetchError thrown next.
 */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on("error", () => {});
  body.destroy();
}

/** Where a JWKS URI may point: https anywhere, http only on loopback hosts. */
export function jwksUriProblem(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "is not a URL";
  }
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return null;
  return "must use https";
}

/** The max-age of a Cache-Control header, in seconds; null when it has none. */
export function cacheMaxAge(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header.join(",") : (header ?? "");
  if (/(^|,)\s*(no-store|no-cache)\s*(,|$)/i.test(value)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(value);
  return match ? Number(match[1]) : null;
}

async function fetchJwks(
  uri: string,
  limits: JwksFetchLimits,
): Promise<{ jwks: JsonWebKeySet; maxAge: number | null }> {
  const problem = jwksUriProblem(uri);
  if (problem) throw new JwksFetchError(`jwks_uri ${uri.slice(0, 200)} ${problem}`);
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let text: string;
  let maxAge: number | null;
  try {
    // undici's request() never follows redirects; a 3xx is refused below like any non-200.
    const res = await request(uri, {
      method: "GET",
      headers: { accept: "application/jwk-set+json, application/json" },
      signal,
    });
    if (res.statusCode !== 200) {
      discard(res.body);
      throw new JwksFetchError(`jwks_uri answered ${res.statusCode}`);
    }
    const declared = Number(res.headers["content-length"] ?? 0);
    if (declared > limits.maxBytes) {
      discard(res.body);
      throw new JwksFetchError(`jwks_uri body of ${declared} bytes is over the limit`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > limits.maxBytes) {
        discard(res.body);
        throw new JwksFetchError("jwks_uri body is over the size limit");
      }
      chunks.push(chunk as Buffer);
    }
    text = Buffer.concat(chunks).toString("utf8");
    maxAge = cacheMaxAge(res.headers["cache-control"]);
  } catch (err) {
    if (err instanceof JwksFetchError) throw err;
    throw new JwksFetchError(`jwks_uri fetch failed: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new JwksFetchError("jwks_uri did not return JSON");
  }
  // The same rules as a key set registered by value: public signature keys, distinct kids.
  let jwks: JsonWebKeySet | null;
  try {
    ({ jwks } = resolveClientKeys(
      "private_key_jwt",
      { jwks: parsed },
      { fail: (description) => new OAuthError("invalid_jwks", description), selfRegistered: true },
    ));
  } catch (err) {
    throw new JwksFetchError(`jwks_uri key set refused: ${(err as Error).message}`);
  }
  if (jwks === null) throw new JwksFetchError("jwks_uri returned no key set");
  return { jwks, maxAge };
}
