// Mails are rendered from Handlebars templates in views/mail/: <name>.text.hbs for the plain
// text part and <name>.html.hbs for the HTML part. The text part is not HTML-escaped (a link's
// "&" must stay "&"); the HTML part is, like the pages. Templates are compiled once.

import fs from "node:fs/promises";
import path from "node:path";
import Handlebars from "handlebars";

export const MAIL_SUBJECTS = {
  "verify-email": "Confirm your email address",
  "signup-existing": "Someone tried to sign up with your email address",
  "password-reset": "Reset your password",
  "password-reset-unknown": "Password reset requested",
} as const;

export type MailTemplate = keyof typeof MAIL_SUBJECTS;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export type MailRenderer = (template: MailTemplate, context: object) => Promise<RenderedMail>;

const MAIL_VIEWS_DIR = path.resolve(import.meta.dirname, "../../views/mail");

export function createMailRenderer(dir = MAIL_VIEWS_DIR): MailRenderer {
  // Our own instance, as for the pages: nothing else can register helpers on it.
  const handlebars = Handlebars.create();
  const compiled = new Map<string, Promise<Handlebars.TemplateDelegate>>();
  const load = (file: string, noEscape: boolean) => {
    let template = compiled.get(file);
    if (template === undefined) {
      template = fs
        .readFile(path.join(dir, file), "utf8")
        .then((source) => handlebars.compile(source, { noEscape }));
      compiled.set(file, template);
    }
    return template;
  };
  return async (template, context) => {
    const [text, html] = await Promise.all([
      load(`${template}.text.hbs`, true),
      load(`${template}.html.hbs`, false),
    ]);
    return { subject: MAIL_SUBJECTS[template], text: text(context), html: html(context) };
  };
}
