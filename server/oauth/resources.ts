// Resource indicators (RFC 8707): the resources a token is meant for, which become the access
// token's audience. A resource is an absolute URI without a fragment (§2); one that is not,
// or that the grant does not cover, is invalid_target.

import { invalidTarget } from "../errors.ts";

const RESOURCE_MAX_LENGTH = 2000;
const MAX_RESOURCES = 10;

/** Checks the syntax of requested resources and removes duplicates. */
export function checkResources(values: readonly string[]): string[] {
  const unique = [...new Set(values)];
  if (unique.length > MAX_RESOURCES) {
    throw invalidTarget(`At most ${MAX_RESOURCES} resource parameters are accepted.`);
  }
  for (const value of unique) {
    if (value.length > RESOURCE_MAX_LENGTH || !URL.canParse(value) || value.includes("#")) {
      throw invalidTarget(
        `The resource "${value.slice(0, 100)}" is not an absolute URI without a fragment.`,
      );
    }
  }
  return unique;
}

/**
 * The audience of a token issued under a grant: the resources requested now, which must be
 * among those the grant was authorized for (§2.2), else the grant's own, else the default.
 */
export function grantedAudience(
  requested: readonly string[],
  authorized: readonly string[],
  defaultAudience: string,
): string[] {
  const resources = checkResources(requested);
  const outside = resources.find((resource) => !authorized.includes(resource));
  if (outside !== undefined) {
    throw invalidTarget(
      `The resource "${outside.slice(0, 100)}" was not authorized for this grant.`,
    );
  }
  if (resources.length > 0) return resources;
  return authorized.length > 0 ? [...authorized] : [defaultAudience];
}
