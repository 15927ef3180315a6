// A browser without a browser: undici requests with a cookie jar, manual redirects and a
// small HTML form reader, enough to walk the login and consent pages as a user would.

import { request } from "undici";

export interface Response {
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HtmlForm {
  action: string;
  method: string;
  fields: Record<string, string>;
  /** name=value of each submit button in the form. */
  buttons: Array<{ name: string; value: string }>;
}

const attribute = (tag: string, name: string): string | undefined => {
  const match = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, "i").exec(tag);
  return match ? decodeEntities(match[2] ?? match[3] ?? "") : undefined;
};

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) =>
      String.fromCharCode(Number.parseInt(code, 16)),
    )
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

export function readForms(html: string, pageUrl: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, tag = "", inner = ""] = match;
    const fields: Record<string, string> = {};
    const buttons: Array<{ name: string; value: string }> = [];
    for (const input of inner.matchAll(/<input\b[^>]*>/gi)) {
      const name = attribute(input[0], "name");
      if (!name) continue;
      const type = (attribute(input[0], "type") ?? "text").toLowerCase();
      if (type === "submit") buttons.push({ name, value: attribute(input[0], "value") ?? "" });
      else fields[name] = attribute(input[0], "value") ?? "";
    }
    for (const button of inner.matchAll(/<button\b[^>]*>/gi)) {
      const name = attribute(button[0], "name");
      if (name) buttons.push({ name, value: attribute(button[0], "value") ?? "" });
    }
    forms.push({
      action: new URL(attribute(tag, "action") ?? pageUrl, pageUrl).href,
      method: (attribute(tag, "method") ?? "GET").toUpperCase(),
      fields,
      buttons,
    });
  }
  return forms;
}

export class HttpClient {
  readonly #cookies = new Map<string, string>();

  cookieNames(): string[] {
    return [...this.#cookies.keys()];
  }

  cookieValue(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  clearCookies(): void {
    this.#cookies.clear();
  }

  async send(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.#cookies.size > 0) {
      headers.cookie = [...this.#cookies].map(([n, v]) => `${n}=${v}`).join("; ");
    }
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    const res = await request(url, { method: (init.method ?? "GET") as "GET", headers, body });
    const setCookie = res.headers["set-cookie"];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair = ""] = line.split(";");
      const index = pair.indexOf("=");
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === "")
        this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return { url, status: res.statusCode, headers: res.headers, body: await res.body.text() };
  }

  /** Follows redirects within `stopAt`'s complement: stops at the first URL that starts with stopAt. */
  async follow(
    url: string,
    stopAt: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<Response> {
    let response = await this.send(url, init);
    for (let hops = 0; hops < 10; hops++) {
      const location = response.headers.location;
      if (response.status < 300 || response.status >= 400 || typeof location !== "string") {
        return response;
      }
      const next = new URL(location, response.url).href;
      if (next.startsWith(stopAt)) return { ...response, url: next };
      response = await this.send(next);
    }
    throw new Error("too many redirects");
  }
}
