import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config.ts";

describe("METRICS_PORT", () => {
  it("is unset by default: /metrics is served on the main port", () => {
    expect(loadConfig({}, "/srv/app").metricsPort).toBeNull();
    expect(loadConfig({ METRICS_PORT: "" }, "/srv/app").metricsPort).toBeNull();
  });

  it("takes a port number", () => {
    expect(loadConfig({ METRICS_PORT: "9464" }, "/srv/app").metricsPort).toBe(9464);
  });

  it.each(["metrics", "-1", "65536", "94.64"])("refuses %j, naming the variable", (value) => {
    expect(() => loadConfig({ METRICS_PORT: value }, "/srv/app")).toThrow(ConfigError);
    expect(() => loadConfig({ METRICS_PORT: value }, "/srv/app")).toThrow(/METRICS_PORT/);
  });
});
