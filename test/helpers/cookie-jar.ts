// A small cookie jar for app.inject tests: keeps what Set-Cookie gave (and forgets what it
// expired), sends it back as a Cookie header, and keeps the raw Set-Cookie lines so tests can
// check attributes. One host only, which is all an inject test talks to.

type Headers = Record<string, string | string[] | number | undefined>;

export class CookieJar {
  readonly #values = new Map<string, string>();
  readonly #lines = new Map<string, string>();

  /** Takes in every Set-Cookie header of a response. */
  store(response: { headers: Headers }): void {
    const header = response.headers["set-cookie"];
    const lines = header === undefined ? [] : Array.isArray(header) ? header : [String(header)];
    for (const line of lines) {
      const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = decodeURIComponent(pair.slice(eq + 1));
      this.#lines.set(name, line);
      const expired = attributes.some(
        (attribute) =>
          /^max-age=0$/i.test(attribute) ||
          (/^expires=/i.test(attribute) && Date.parse(attribute.slice(8)) <= Date.now()),
      );
      if (expired || value === "") this.#values.delete(name);
      else this.#values.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.#values.get(name);
  }

  set(name: string, value: string): void {
    this.#values.set(name, value);
  }

  delete(name: string): void {
    this.#values.delete(name);
  }

  /** The last Set-Cookie line for the cookie, attributes included. */
  setCookieLine(name: string): string | undefined {
    return this.#lines.get(name);
  }

  /** The Cookie request header, or an empty object when the jar is empty. */
  header(): { cookie?: string } {
    if (this.#values.size === 0) return {};
    const cookie = [...this.#values].map(([name, value]) => `${name}=${value}`).join("; ");
    return { cookie };
  }
}
