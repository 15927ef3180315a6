// Request parameters as they arrive (query string or form body) and the rule that none of
// them may be given twice (RFC 6749 §3.1 and §3.2, OIDC Core §3.1.2.1).

import { invalidRequest } from "../errors.ts";

export type RawParams = Record<string, string | string[] | undefined>;
export type Params = Record<string, string>;

/** The name of the first parameter given more than once, or null. */
export function repeatedParam(raw: RawParams): string | null {
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) return name;
  }
  return null;
}

/** One value per parameter, or invalid_request naming the repeated one. Empty values count as absent (RFC 6749 §3.1). */
export function singleValued(
  raw: RawParams | null | undefined,
  allowRepeated: readonly string[] = [],
): Params {
  const params: Params = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (Array.isArray(value)) {
      if (!allowRepeated.includes(name))
        throw invalidRequest(`The "${name}" parameter is repeated.`);
      continue;
    }
    if (value !== undefined && value !== "") params[name] = value;
  }
  return params;
}

/** All values of a parameter that may legitimately repeat (e.g. RFC 8707 `resource`). */
export function allValues(raw: RawParams | null | undefined, name: string): string[] {
  const value = raw?.[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v) => v !== "");
}
