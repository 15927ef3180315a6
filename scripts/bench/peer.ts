// Starts the peer (peer-server.ts) with the same user (the same argon2id hash), clients of
// the same shape, and its own Redis prefix.

import { randomBytes } from "node:crypto";
import type { TargetSpec } from "./flows.ts";
import {
  API_AUDIENCE,
  API_SCOPE,
  LIFETIMES,
  REDIRECT_URI,
  REDIS_URL,
  WEB_SCOPE,
} from "./latchkey.ts";
import type { PeerConfig } from "./peer-server.ts";
import { type Child, freePort, startNode } from "./processes.ts";

export interface PeerTarget {
  spec: TargetSpec;
  /** The client whose opaque tokens the peer's userinfo and introspection accept. */
  userinfoSpec: TargetSpec;
  process: Child;
  redisPrefix: string;
  close(): Promise<void>;
}

export async function startPeer(user: {
  email: string;
  password: string;
  passwordHash: string;
}): Promise<PeerTarget> {
  const port = await freePort();
  const secret = () => randomBytes(32).toString("base64url");
  const machine = { id: "bench-machine", secret: secret() };
  const web = { id: "bench-web", secret: secret() };
  const userinfo = { id: "bench-userinfo", secret: secret() };
  const redisPrefix = `peer-bench:${randomBytes(6).toString("hex")}:`;
  const config: PeerConfig = {
    port,
    redisUrl: REDIS_URL,
    prefix: redisPrefix,
    api: API_AUDIENCE,
    apiScope: API_SCOPE,
    ttl: LIFETIMES,
    users: [
      {
        id: randomBytes(16).toString("hex"),
        email: user.email,
        name: "Bench User",
        hash: user.passwordHash,
      },
    ],
    clients: [
      {
        client_id: machine.id,
        client_secret: machine.secret,
        grant_types: ["client_credentials"],
        redirect_uris: [],
        scope: API_SCOPE,
        api: true,
      },
      {
        client_id: web.id,
        client_secret: web.secret,
        grant_types: ["authorization_code", "refresh_token"],
        redirect_uris: [REDIRECT_URI],
        scope: WEB_SCOPE,
        api: true,
      },
      {
        client_id: userinfo.id,
        client_secret: userinfo.secret,
        grant_types: ["authorization_code", "refresh_token"],
        redirect_uris: [REDIRECT_URI],
        scope: "openid email offline_access",
        api: false,
      },
    ],
  };
  const child = await startNode(
    "scripts/bench/peer-server.ts",
    { BENCH_PEER: JSON.stringify(config) },
    (output) => output.includes('"ready":true'),
  );
  const spec: TargetSpec = {
    name: "oidc-provider",
    origin: `http://127.0.0.1:${port}`,
    paths: {
      authorize: "/auth",
      token: "/token",
      introspect: "/token/introspection",
      userinfo: "/me",
      jwks: "/jwks",
    },
    web,
    machine,
    redirectUri: REDIRECT_URI,
    scope: WEB_SCOPE,
    machineScope: API_SCOPE,
    user: { email: user.email, password: user.password },
  };
  return {
    spec,
    userinfoSpec: { ...spec, web: userinfo, scope: "openid email" },
    process: child,
    redisPrefix,
    close: () => child.stop(),
  };
}
