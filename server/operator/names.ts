// The names of the operator operations and where the admin API serves them. Kept apart from
// operations.ts so the CLI can call a running server without loading the database layers.

export const OPERATION_NAMES = [
  "migrate",
  "clientCreate",
  "clientList",
  "clientShow",
  "clientDelete",
  "clientRotateSecret",
  "userCreate",
  "userShow",
  "userVerify",
  "userSetPassword",
  "userLock",
  "userUnlock",
  "userDelete",
  "userLogoutAll",
  "userTotpEnrol",
  "userTotpRemove",
  "keysList",
  "keysRotate",
  "auditList",
] as const;

export type OperationName = (typeof OPERATION_NAMES)[number];

/** POST ADMIN_OPS_PATH/<operation name> with the operation's input as JSON. */
export const ADMIN_OPS_PATH = "/admin/ops";
