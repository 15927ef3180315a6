// `latchkey user …`: create users, set passwords, lock, unlock, show and delete them, log
// them out everywhere, and turn their two-step verification on or off.

import type { UserView } from "../operator/operations.ts";
import { type ParsedArgs, stringValue, UsageError } from "./args.ts";
import type { Command, CommandContext, CommandGroup } from "./command.ts";
import { formatFields } from "./output.ts";

const PASSWORD_POLICY =
  "Passwords have 8 to 256 characters, must not be one of the common passwords Latchkey ships with, and are stored as argon2id hashes.";
const PASSWORD_OPTION = {
  name: "password",
  value: "PASSWORD",
  help: "the password (else read from stdin; prompted for on a terminal)",
};

function userFields(user: UserView): string {
  return formatFields([
    ["id", user.id],
    ["email", user.email],
    ["name", user.name],
    ["email verified", user.email_verified],
    ["locked", user.locked_at ?? false],
    ["created", user.created_at],
    ["updated", user.updated_at],
  ]);
}

async function password(args: ParsedArgs, ctx: CommandContext, prompt: string): Promise<string> {
  return stringValue(args, "password") ?? (await ctx.readSecret(prompt));
}

const create: Command = {
  path: "user create",
  positionals: [],
  summary: "Create a user who signs in with email and password.",
  description: `The email is trimmed and lowercased. ${PASSWORD_POLICY}`,
  options: [
    { name: "email", value: "EMAIL", help: "the user's email address (unique)" },
    PASSWORD_OPTION,
    { name: "name", value: "NAME", help: "the user's display name" },
    {
      name: "email-verified",
      help: "mark the address verified (email_verified in ID tokens); else it starts unverified",
    },
  ],
  async run(args, ctx) {
    const email = stringValue(args, "email");
    if (email === undefined)
      throw new UsageError("missing --email (see latchkey user create --help)");
    const input = {
      email,
      password: await password(args, ctx, "Password"),
      ...(args.values["email-verified"] === true ? { email_verified: true } : {}),
    };
    const name = stringValue(args, "name");
    const user = await (await ctx.ops()).userCreate(
      name === undefined ? input : { ...input, name },
    );
    return { json: user, text: `Created user ${user.email}.\n\n${userFields(user)}` };
  },
};

const verify: Command = {
  path: "user verify",
  positionals: ["EMAIL"],
  summary: "Mark a user's email address as verified.",
  description:
    "For an address the operator vouches for: email_verified becomes true in ID tokens and userinfo, and a login is no longer refused under REQUIRE_VERIFIED_EMAIL. Users verify their own address with the link Latchkey mails them.",
  options: [],
  async run(args, ctx) {
    const user = await (await ctx.ops()).userVerify({ email: args.positionals[0]! });
    return { json: user, text: `Marked ${user.email} as verified.` };
  },
};

const setPassword: Command = {
  path: "user set-password",
  positionals: ["EMAIL"],
  summary: "Set a user's password.",
  description: `${PASSWORD_POLICY} The new password comes from --password, or from stdin.`,
  options: [PASSWORD_OPTION],
  async run(args, ctx) {
    // Asked before the backend opens, so a prompt never holds the data folder.
    const secret = await password(args, ctx, "New password");
    const user = await (await ctx.ops()).userSetPassword({
      email: args.positionals[0]!,
      password: secret,
    });
    return { json: user, text: `Set a new password for ${user.email}.` };
  },
};

const show: Command = {
  path: "user show",
  positionals: ["EMAIL"],
  summary: "Show a user.",
  description: "",
  options: [],
  async run(args, ctx) {
    const user = await (await ctx.ops()).userShow({ email: args.positionals[0]! });
    return { json: user, text: userFields(user) };
  },
};

const lock: Command = {
  path: "user lock",
  positionals: ["EMAIL"],
  summary: "Lock a user out: no sign-in and no token refresh until unlocked.",
  description: "Locking a locked user keeps the original lock date.",
  options: [],
  async run(args, ctx) {
    const user = await (await ctx.ops()).userLock({ email: args.positionals[0]! });
    return { json: user, text: `Locked ${user.email} (since ${user.locked_at}).` };
  },
};

const unlock: Command = {
  path: "user unlock",
  positionals: ["EMAIL"],
  summary: "Unlock a locked user.",
  description:
    "Lifts a lock made by `latchkey user lock` and a temporary one made by failed logins, and forgets the failures.",
  options: [],
  async run(args, ctx) {
    const user = await (await ctx.ops()).userUnlock({ email: args.positionals[0]! });
    return { json: user, text: `Unlocked ${user.email}.` };
  },
};

const remove: Command = {
  path: "user delete",
  positionals: ["EMAIL"],
  summary: "Delete a user with their consents and refresh tokens.",
  description: "",
  options: [],
  async run(args, ctx) {
    const user = await (await ctx.ops()).userDelete({ email: args.positionals[0]! });
    return { json: user, text: `Deleted user ${user.email} (${user.id}).` };
  },
};

const logoutAll: Command = {
  path: "user logout-all",
  positionals: ["EMAIL"],
  summary: "Log a user out everywhere: end every session and revoke every refresh token.",
  description:
    "Every browser session of the user ends, and every refresh-token family is revoked, those with offline_access included, so access tokens issued from them are refused by userinfo and introspection too. The user can sign in again at once.",
  options: [],
  async run(args, ctx) {
    const result = await (await ctx.ops()).userLogoutAll({ email: args.positionals[0]! });
    const families = result.refresh_families_revoked;
    return {
      json: result,
      text: [
        `Logged ${result.user.email} out everywhere.`,
        "",
        formatFields([
          ["sessions ended", `every session started before ${result.sessions_ended_before}`],
          ["refresh tokens", `${families} ${families === 1 ? "family" : "families"} revoked`],
        ]),
      ].join("\n"),
    };
  },
};

const totp: Command = {
  path: "user totp",
  positionals: ["EMAIL"],
  summary: "Turn on two-step verification (TOTP) for a user, or off with --remove.",
  description:
    "Makes a new authenticator secret that is on at once, replacing any earlier one, and ten new recovery codes; prints the otpauth URI (for a QR code), the secret to type into an app, and the recovery codes. They are shown this once: give them to the user over a safe channel. Users can also set this up themselves on their account page. With --remove, the user's second factor and recovery codes are deleted, for a user who lost both.",
  options: [{ name: "remove", help: "turn two-step verification off instead" }],
  async run(args, ctx) {
    const email = args.positionals[0]!;
    const ops = await ctx.ops();
    if (args.values.remove === true) {
      const result = await ops.userTotpRemove({ email });
      const text = result.removed
        ? `Turned two-step verification off for ${result.user.email}.`
        : `${result.user.email} had no two-step verification.`;
      return { json: result, text };
    }
    const result = await ops.userTotpEnrol({ email });
    return {
      json: result,
      text: [
        `Turned two-step verification on for ${result.user.email}.`,
        "",
        formatFields([
          ["secret", result.secret],
          ["otpauth URI", result.otpauth_uri],
        ]),
        "",
        "Recovery codes (each works once; shown only now):",
        ...result.recovery_codes.map((code) => `  ${code}`),
      ].join("\n"),
    };
  },
};

export const userCommands: CommandGroup = {
  name: "user",
  summary: "Manage users.",
  commands: [create, verify, setPassword, show, lock, unlock, remove, logoutAll, totp],
};
