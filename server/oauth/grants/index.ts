// The grant types the token endpoint serves. A grant exists for clients and in discovery
// exactly when its module is listed here.

import type { GrantType } from "../client-metadata.ts";
import { authorizationCodeGrant } from "./authorization-code.ts";
import type { GrantModule } from "./grant.ts";

export const GRANTS: ReadonlyMap<string, GrantModule> = new Map<GrantType, GrantModule>([
  [authorizationCodeGrant.grantType, authorizationCodeGrant],
]);

export function supportedGrantTypes(): string[] {
  return [...GRANTS.keys()];
}
