// The operations of a running server, called through its admin API with the token the
// server published in the data folder's lock file.

import { ADMIN_OPS_PATH, OPERATION_NAMES, type OperationName } from "../operator/names.ts";
import type { Operations } from "../operator/operations.ts";
import { CliError } from "./command.ts";

const TIMEOUT_MS = 60_000;

export function remoteOperations(baseUrl: string, adminToken: string): Operations {
  const call = async (name: OperationName, input: unknown): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${ADMIN_OPS_PATH}/${name}`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify(input),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new CliError(`cannot reach the latchkey server at ${baseUrl}: ${reason}`);
    }
    const body = (await response.json().catch(() => null)) as {
      error?: string;
      error_description?: string;
    } | null;
    if (!response.ok) {
      throw new CliError(
        body?.error_description ?? body?.error ?? `the server answered ${response.status}`,
      );
    }
    if (body === null) throw new CliError(`the server at ${baseUrl} did not answer with JSON`);
    return body;
  };
  return Object.fromEntries(
    OPERATION_NAMES.map((name) => [name, (input: unknown) => call(name, input)]),
  ) as unknown as Operations;
}
