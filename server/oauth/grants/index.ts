// The grant types the token endpoint serves. A grant exists for clients and in discovery
// exactly when its module is listed here.

import type { GrantType } from "../client-metadata.ts";
import { authorizationCodeGrant } from "./authorization-code.ts";
import { clientCredentialsGrant } from "./client-credentials.ts";
import type { GrantModule } from "./grant.ts";
import { refreshTokenGrant } from "./refresh-token.ts";

export const GRANTS: ReadonlyMap<string, GrantModule> = new Map<GrantType, GrantModule>([
  [authorizationCodeGrant.grantType, authorizationCodeGrant],
  [refreshTokenGrant.grantType, refreshTokenGrant],
  [clientCredentialsGrant.grantType, clientCredentialsGrant],
]);

export function supportedGrantTypes(): string[] {
  return [...GRANTS.keys()];
}
