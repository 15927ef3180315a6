// Fastify gives every request a child logger bound to its request id. Pino builds a child
// eagerly (it serialises the bindings and sets up its level methods) even when nothing is
// ever logged through it, which at LOG_LEVEL=warn is nearly every request: a few
// microseconds on endpoints whose whole work is tens of them (npm run bench, JWKS). This
// child is built on the first call at a level the logger has enabled; calls below that level
// return at once, as pino's own disabled levels do.

import type { FastifyBaseLogger, FastifyServerOptions } from "fastify";

type ChildLoggerFactory = NonNullable<FastifyServerOptions["childLoggerFactory"]>;
type Bindings = Parameters<ChildLoggerFactory>[1];
type ChildLoggerOptions = Parameters<ChildLoggerFactory>[2];

type Level = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

interface LevelAware extends FastifyBaseLogger {
  isLevelEnabled(level: string): boolean;
}

class LazyChildLogger implements FastifyBaseLogger {
  readonly #parent: LevelAware;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: LevelAware, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  #log(level: Level, args: unknown[]): void {
    if (this.#child === undefined && !this.#parent.isLevelEnabled(level)) return;
    (this.#real()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return this.#child?.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  fatal(...args: unknown[]): void {
    this.#log("fatal", args);
  }
  error(...args: unknown[]): void {
    this.#log("error", args);
  }
  warn(...args: unknown[]): void {
    this.#log("warn", args);
  }
  info(...args: unknown[]): void {
    this.#log("info", args);
  }
  debug(...args: unknown[]): void {
    this.#log("debug", args);
  }
  trace(...args: unknown[]): void {
    this.#log("trace", args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}

/**
 * Fastify's childLoggerFactory: a lazily built child where the parent can say which levels
 * it logs and the child keeps the parent's level and serializers; pino's own child otherwise.
 */
export const lazyChildLogger: ChildLoggerFactory = (logger, bindings, options) => {
  const parent = logger as Partial<LevelAware> & FastifyBaseLogger;
  if (
    typeof parent.isLevelEnabled !== "function" ||
    options.level !== undefined ||
    options.serializers !== undefined
  ) {
    return logger.child(bindings, options);
  }
  return new LazyChildLogger(parent as LevelAware, bindings, options) as FastifyBaseLogger;
};
