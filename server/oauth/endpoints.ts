// The path of every endpoint, under the issuer. A module of its own so that protocol code
// (client assertions accept the token endpoint's URL as audience) can name endpoints without
// importing the discovery module, which imports that protocol code.

export const ENDPOINT_PATHS = {
  openidConfiguration: "/.well-known/openid-configuration",
  authorizationServerMetadata: "/.well-known/oauth-authorization-server",
  jwks: "/oauth/jwks",
  authorization: "/oauth/authorize",
  token: "/oauth/token",
  userinfo: "/oauth/userinfo",
  introspection: "/oauth/introspect",
  revocation: "/oauth/revoke",
  endSession: "/oauth/logout",
  registration: "/oauth/register",
} as const;
