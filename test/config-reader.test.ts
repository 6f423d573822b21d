// The config reader: lines for every key, anchors and merge keys, ERB as unknown, Kamal's
// destination merge, the secrets files' names (never their values), Gemfile.lock and EXPOSE.
import { describe, expect, it } from "vitest";
import { configArgs, destinationFile, loadConfig, locateConfig, type FileReader } from "../src/config/load.js";
import { exposedPorts, pinnedKamal } from "../src/config/project-files.js";
import { secretNames } from "../src/config/secrets.js";
import { ConfigSyntaxError, deepMerge, entryAt, knownScalar, parseConfigFile } from "../src/config/tree.js";

const memoryReader = (files: Record<string, string>): FileReader => ({ read: (file) => Promise.resolve(files[file] ?? null) });

describe("parseConfigFile", () => {
  it("keeps the line of every key, through anchors and merge keys", () => {
    const { root } = parseConfigFile("config/deploy.yml", "x-base: &base\n  app_port: 3000\n\nproxy:\n  <<: *base\n  host: a.example.com\n");
    expect(entryAt(root, "proxy")?.origin.line).toBe(4);
    expect(entryAt(root, "proxy.host")?.origin.line).toBe(6);
    // A merged key points where the anchor wrote it.
    expect(entryAt(root, "proxy.app_port")?.origin.line).toBe(2);
    expect(knownScalar(entryAt(root, "proxy.app_port")?.node)).toBe(3000);
  });

  it("marks ERB values unknown and keeps the YAML parsing", () => {
    const text = 'image: <%= ENV["IMAGE"] %>\nservice: "<%= ENV.fetch("S", "x") %>"\nproxy:\n  app_port: 3000\n';
    const { root } = parseConfigFile("config/deploy.yml", text);
    expect(entryAt(root, "image")?.node.erb).toBe(true);
    expect(knownScalar(entryAt(root, "image")?.node)).toBeUndefined();
    expect(knownScalar(entryAt(root, "service")?.node)).toBeUndefined();
    expect(knownScalar(entryAt(root, "proxy.app_port")?.node)).toBe(3000);
  });

  it("marks what an ERB condition guards unknown, and keeps line numbers after a multi-line tag", () => {
    const text = ["env:", "  secret:", "<% if ENV['X'] %>", "    - A", "<% end %>", "    - B", "registry: <%= [", '  "x"', '].first %>', "service: shop"].join("\n");
    const { root } = parseConfigFile("config/deploy.yml", text);
    const secret = entryAt(root, "env.secret")?.node;
    expect(secret?.kind).toBe("seq");
    if (secret?.kind !== "seq") return;
    expect(secret.items.map((item) => [item.line, item.erb])).toEqual([[4, true], [6, false]]);
    expect(entryAt(root, "registry")?.node.erb).toBe(true);
    expect(entryAt(root, "service")?.origin.line).toBe(10);
  });

  it("says where invalid YAML is, in one line", () => {
    expect(() => parseConfigFile("config/deploy.yml", "service: shop\nproxy:\n  host: [a\n")).toThrow(ConfigSyntaxError);
    try {
      parseConfigFile("config/deploy.yml", "a: b\n  c: d\n");
    } catch (error) {
      expect((error as Error).message).toMatch(/^config\/deploy\.yml:\d+: not valid YAML: [^\n]+$/);
    }
  });
});

describe("the destination merge (ActiveSupport deep_merge)", () => {
  it("merges maps key by key and replaces lists", () => {
    const base = parseConfigFile("config/deploy.yml", "servers:\n  web:\n    - 1.1.1.1\nproxy:\n  host: a\n  app_port: 3000\n").root;
    const dest = parseConfigFile("config/deploy.staging.yml", "servers:\n  web:\n    - 2.2.2.2\nproxy:\n  host: b\n").root;
    const merged = deepMerge(base, dest);
    expect(knownScalar(entryAt(merged, "proxy.host")?.node)).toBe("b");
    expect(entryAt(merged, "proxy.host")?.origin).toEqual({ file: "config/deploy.staging.yml", line: 5 });
    expect(entryAt(merged, "proxy.app_port")?.origin.file).toBe("config/deploy.yml");
    const web = entryAt(merged, "servers.web")?.node;
    expect(web?.kind === "seq" ? web.items.map((i) => knownScalar(i)) : null).toEqual(["2.2.2.2"]);
  });

  it("names the destination file the way Kamal does (sub_ext)", () => {
    expect(destinationFile("config/deploy.yml", "staging")).toBe("config/deploy.staging.yml");
    expect(destinationFile("vmkit-deploy.yml", "prod")).toBe("vmkit-deploy.prod.yml");
  });
});

describe("finding the config", () => {
  it("takes -c/-d from the log's command line, an option first", () => {
    expect(configArgs("bundle exec kamal deploy -c vmkit-deploy.yml -d staging")).toEqual({ file: "vmkit-deploy.yml", destination: "staging" });
    expect(configArgs("kamal deploy --config-file=x.yml --destination=prod")).toEqual({ file: "x.yml", destination: "prod" });
    expect(locateConfig({ logCommand: "kamal deploy -d production" })).toEqual({ file: "config/deploy.yml", destination: "production", from: "log" });
    expect(locateConfig({ file: "other.yml", logCommand: "kamal deploy -c x.yml -d production" })).toEqual({ file: "other.yml", destination: "production", from: "option" });
    expect(locateConfig({})).toEqual({ file: "config/deploy.yml", destination: null, from: "default" });
  });

  it("reads the secrets files Kamal reads for the destination, and only their names", async () => {
    const files = {
      "config/deploy.yml": "service: shop\n",
      "config/deploy.staging.yml": "proxy:\n  host: s\n",
      ".kamal/secrets": "NOT_READ_WITH_A_DESTINATION=1\n",
      ".kamal/secrets-common": "COMMON=fake-common-value\n",
      ".kamal/secrets.staging": "STAGING=fake-staging-value\n",
      "Gemfile.lock": "GEM\n  specs:\n    kamal (2.5.3)\n",
    };
    const config = await loadConfig(memoryReader(files), { file: "config/deploy.yml", destination: "staging", from: "option" });
    expect(config.secrets.map((s) => [s.file, s.names.map((n) => n.name)])).toEqual([
      [".kamal/secrets-common", ["COMMON"]],
      [".kamal/secrets.staging", ["STAGING"]],
    ]);
    expect(JSON.stringify(config)).not.toContain("fake-");
    expect(config.pinned).toEqual({ version: "2.5.3", line: 3 });
    const plain = await loadConfig(memoryReader(files), { file: "config/deploy.yml", destination: null, from: "default" });
    expect(plain.secrets.map((s) => s.file)).toEqual([".kamal/secrets-common", ".kamal/secrets"]);
  });

  it("fails in one line when the config or the destination file is missing", async () => {
    await expect(loadConfig(memoryReader({}), { file: "config/deploy.yml", destination: null, from: "default" })).rejects.toThrow("config/deploy.yml: config file not found");
    await expect(loadConfig(memoryReader({ "config/deploy.yml": "service: a\n" }), { file: "config/deploy.yml", destination: "qa", from: "option" })).rejects.toThrow(
      "config/deploy.qa.yml: destination config not found",
    );
  });
});

describe("secretNames", () => {
  it("returns names and lines, skips comments and the lines of a multi-line value", () => {
    const text = ['# comment', 'A=1', 'export B="x', 'C=not a name, inside B', '"', "D: 'y'", 'E=$(op read "op://v/i/f")', "lower_case=ok", "=nothing"].join("\n");
    expect(secretNames(text)).toEqual([
      { name: "A", line: 2 },
      { name: "B", line: 3 },
      { name: "D", line: 6 },
      { name: "E", line: 7 },
      { name: "lower_case", line: 8 },
    ]);
  });
});

describe("Gemfile.lock and Dockerfile", () => {
  it("reads the pinned kamal, not a dependency's requirement", () => {
    expect(pinnedKamal("GEM\n  specs:\n    kamal (2.4.0)\n      activesupport (>= 7.0)\n    other (1.0)\nDEPENDENCIES\n  kamal (~> 2.0)\n")).toEqual({ version: "2.4.0", line: 3 });
    expect(pinnedKamal("GEM\n  specs:\n    rails (8.0.0)\n")).toBeNull();
  });

  it("reads EXPOSE of the last stage only, and not a port from a build variable", () => {
    const ports = exposedPorts("FROM a AS build\nEXPOSE 9999\nFROM b\nEXPOSE 3000/tcp $PORT 8443\n");
    expect(ports.map((p) => p.port)).toEqual([3000, 8443]);
    expect(ports[0]?.line).toBe(4);
  });
});
