// Reads a secret (a password) from stdin: piped input as it is, minus one trailing newline,
// or, on a terminal, typed at a prompt on stderr without echo and asked for twice.

import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { UsageError } from "./args.ts";

export async function readSecret(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const secret = Buffer.concat(chunks)
      .toString("utf8")
      .replace(/\r?\n$/, "");
    if (secret === "") throw new UsageError(`no ${prompt.toLowerCase()} given on stdin`);
    return secret;
  }
  // readline echoes what is typed to its output; a muted output keeps the secret off screen.
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (question: string): Promise<string> => {
    process.stderr.write(question);
    const line = await lines.next();
    process.stderr.write("\n");
    if (line.done) throw new UsageError("cancelled");
    return line.value;
  };
  rl.once("SIGINT", () => {
    process.stderr.write("\n");
    process.exit(130);
  });
  try {
    const first = await ask(`${prompt}: `);
    const second = await ask(`Repeat the ${prompt.toLowerCase()}: `);
    if (first !== second) throw new UsageError(`the two ${prompt.toLowerCase()}s differ`);
    if (first === "") throw new UsageError(`no ${prompt.toLowerCase()} given`);
    return first;
  } finally {
    rl.close();
  }
}
