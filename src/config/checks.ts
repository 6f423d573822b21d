// The checks that need only the config (and its neighbours: secrets names, Gemfile.lock): keys
// the Kamal version does not know, Kamal 1 keys under Kamal 2, secrets no secrets file defines,
// the registry versus the image's host, SSL settings Kamal refuses. Each fires only on values
// that are known (never on ERB) and names the line to change.

import { at, refAt, type ConfigFinding } from "./findings.js";
import { compareVersions, KAMAL1_TO_2, KAMAL2_ONLY, LATEST, majorOf, sectionKeys, VALIDATION_SINCE, type Major, type ValueType } from "./kamal-keys.js";
import type { LoadedConfig } from "./load.js";
import { typeProblem, type TypeProblem } from "./value-types.js";
import { entryAt, knownScalar, knownStrings, type ConfigNode, type Entry, type MapNode } from "./tree.js";

const DOCS = "https://kamal-deploy.org/docs/configuration/";

/** The Kamal version the checks are for: the one that ran (from the log) or Gemfile.lock's. */
export interface KamalTarget {
  version: string | null;
  /** Where the version came from, for messages. */
  from: "log" | "Gemfile.lock" | null;
}

export function kamalTarget(config: LoadedConfig, logVersion?: string | null): KamalTarget {
  if (logVersion && /^\d+\.\d+/.test(logVersion)) return { version: logVersion, from: "log" };
  if (config.pinned) return { version: config.pinned.version, from: "Gemfile.lock" };
  return { version: null, from: null };
}

export function staticChecks(config: LoadedConfig, target: KamalTarget = kamalTarget(config)): ConfigFinding[] {
  return [...keyChecks(config, target), ...secretChecks(config, target), ...registryChecks(config), ...sslChecks(config, target)];
}

// ── keys ────────────────────────────────────────────────────────────────────────────────────

function keyChecks(config: LoadedConfig, target: KamalTarget): ConfigFinding[] {
  const out: ConfigFinding[] = [];
  const major: Major | null = target.version ? majorOf(target.version) : null;
  if (target.version && major === null) return out;
  // No known version: only keys that no Kamal 2 knows, and Kamal 1 keys as a warning.
  const checkMajor: Major = major ?? 2;
  const minor = target.version ?? LATEST[checkMajor];
  const described = target.version ? `Kamal ${target.version}${target.from ? ` (${target.from})` : ""}` : `Kamal 2 (no version known: no Gemfile.lock)`;
  const validates = compareVersions(minor, VALIDATION_SINCE) >= 0;

  const visit = (node: MapNode, section: string, path: string): void => {
    const keys = sectionKeys(checkMajor, section);
    if (!keys) return;
    // An env without clear/secret/tags is the simple form: every key a variable, every value a string.
    if (section === "env" && ![...keys.keys()].some((key) => node.entries.has(key))) {
      if (validates) for (const [name, entry] of node.entries) valueType(entry, `${path}.${name}`, "str");
      return;
    }
    for (const [name, entry] of node.entries) {
      if (name.startsWith("x-")) continue;
      const keyPath = path ? `${path}.${name}` : name;
      const fact = keys.get(name);
      const migration = checkMajor === 2 ? kamal1Name(keyPath, entry) : null;
      if (migration) {
        out.push(finding(config, entry, keyPath, {
          checkId: "config-kamal1-key",
          severity: major === 2 ? "error" : "warning",
          title: `\`${keyPath}\` is a Kamal 1 key`,
          explanation: `\`${keyPath}\` is Kamal 1 configuration; ${described} ${major === 2 ? "rejects it" : "would reject it"}. In Kamal 2 it is ${migration.to}: ${migration.note}.`,
          fix: `Replace \`${name}:\` with ${migration.to} (${at(refAt(config, entry.origin, keyPath).ref)}), or pin Kamal 1 in the Gemfile (\`gem "kamal", "~> 1.9"\`) and run \`bundle exec kamal\`.`,
          docs: [`${DOCS}overview/`, "https://kamal-deploy.org/docs/upgrading/overview/"],
        }));
        continue;
      }
      if (!fact) {
        if (checkMajor === 1 && KAMAL2_ONLY.includes(keyPath)) {
          out.push(finding(config, entry, keyPath, {
            checkId: "config-kamal2-key",
            severity: validates ? "error" : "warning",
            title: `\`${keyPath}\` is a Kamal 2 key, but Kamal ${target.version} runs`,
            explanation: `The config is written for Kamal 2, and ${described} does not know \`${keyPath}\`${validates ? "" : " (before 1.7 it is silently ignored)"}.`,
            fix: `Pin Kamal 2 in the Gemfile (\`gem "kamal", "~> 2.0"\`, then \`bundle update kamal\`), or remove \`${name}:\` (${at(refAt(config, entry.origin, keyPath).ref)}).`,
            docs: ["https://kamal-deploy.org/docs/upgrading/overview/"],
          }));
          continue;
        }
        if (!validates) continue;
        const near = closest(name, [...keys.keys()]);
        out.push(finding(config, entry, keyPath, {
          checkId: "config-unknown-key",
          severity: target.version ? "error" : "warning",
          title: `\`${keyPath}\` is not a Kamal ${checkMajor} key`,
          explanation: `${described} validates deploy.yml against its own key list and stops at an unknown key ("unknown key: ${name}").`,
          fix: near
            ? `Rename \`${name}:\` to \`${near}:\` (${at(refAt(config, entry.origin, keyPath).ref)}).`
            : `Remove \`${name}:\` (${at(refAt(config, entry.origin, keyPath).ref)}), or prefix it with \`x-\` if it only holds YAML anchors.`,
          docs: [`${DOCS}overview/`],
        }));
        continue;
      }
      if (fact.since && target.version && compareVersions(target.version, fact.since) < 0) {
        out.push(finding(config, entry, keyPath, {
          checkId: "config-key-too-new",
          severity: "error",
          title: `\`${keyPath}\` needs Kamal ${fact.since}, ${described} runs`,
          explanation: `\`${keyPath}\` was added in Kamal ${fact.since}.0; ${described} rejects it as an unknown key.`,
          fix: `Upgrade Kamal to ${fact.since} or later (\`bundle update kamal\`), or remove \`${name}:\` (${at(refAt(config, entry.origin, keyPath).ref)}).`,
          docs: ["https://github.com/basecamp/kamal/releases"],
        }));
        continue;
      }
      const wrong = fact.type && validates ? typeProblem(fact.type, entry.node) : null;
      if (wrong) {
        out.push(typeFinding(config, entry, keyPath, wrong, described, target.version !== null));
        continue;
      }
      if (entry.node.kind !== "map" || entry.node.erb || fact.free) continue;
      if (fact.section) visit(entry.node, fact.section, keyPath);
      else if (section === "root" && name === "servers") visitRoles(entry.node, keyPath);
      else if (section === "root" && name === "accessories") {
        for (const [accessory, e] of entry.node.entries) {
          if (validates && valueType(e, `${keyPath}.${accessory}`, "map")) continue;
          if (e.node.kind === "map") visit(e.node, "accessory", `${keyPath}.${accessory}`);
        }
      }
    }
  };
  const valueType = (entry: Entry, keyPath: string, type: ValueType): boolean => {
    const wrong = typeProblem(type, entry.node);
    if (wrong) out.push(typeFinding(config, entry, keyPath, wrong, described, target.version !== null));
    return wrong !== null;
  };
  const visitRoles = (servers: MapNode, path: string): void => {
    for (const [role, e] of servers.entries) {
      if (validates && valueType(e, `${path}.${role}`, "list|map")) continue;
      if (e.node.kind === "map" && !e.node.erb) visit(e.node, "role", `${path}.${role}`);
    }
  };
  visit(config.root, "root", "");
  return out;
}

function typeFinding(config: LoadedConfig, entry: Entry, keyPath: string, wrong: TypeProblem, described: string, known: boolean): ConfigFinding {
  const name = keyPath.split(".").pop() ?? keyPath;
  const { ref } = refAt(config, entry.origin, keyPath);
  // Kamal names the place with slashes: "proxy/app_port: should be an integer".
  const says = `${keyPath.replace(/\./g, "/")}: should be ${wrong.expected}`;
  return finding(config, entry, keyPath, {
    checkId: "config-value-type",
    severity: known ? "error" : "warning",
    title: `\`${keyPath}\` should be ${wrong.expected}, not ${wrong.found}`,
    explanation: `${described} checks each value of deploy.yml against the type its documentation gives, and stops at this one: "${says}".`,
    fix: wrong.suggestion
      ? `Write \`${name}: ${wrong.suggestion}\` (${at(ref)}).`
      : `Write \`${name}:\` as ${wrong.expected} (${at(ref)}).`,
    docs: [`${DOCS}overview/`],
  });
}

function kamal1Name(keyPath: string, entry: Entry): { to: string; note: string } | null {
  const generic = keyPath.replace(/^servers\.[^.]+\./, "servers.*.");
  if (generic === "builder.local" || generic === "builder.remote") return entry.node.kind === "map" ? KAMAL1_TO_2[generic] ?? null : null;
  return KAMAL1_TO_2[generic] ?? null;
}

/** A key within two edits of the one written (a typo), if there is exactly one best. */
function closest(name: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] ?? 0;
}

// ── secrets ─────────────────────────────────────────────────────────────────────────────────

interface SecretUse {
  /** The name looked up in the secrets files. */
  name: string;
  entry: Entry;
  node: ConfigNode;
  keyPath: string;
}

function secretChecks(config: LoadedConfig, target: KamalTarget): ConfigFinding[] {
  // Kamal 1 read secrets from the environment (.env), not from .kamal/secrets.
  if (target.version && majorOf(target.version) === 1) return [];
  const uses = secretUses(config.root);
  if (uses.length === 0) return [];
  const defined = new Set(config.secrets.flatMap((file) => file.names.map((n) => n.name)));
  const files = config.secrets.length > 0 ? config.secrets.map((f) => f.file).join(", ") : `no secrets file (${config.secretsCandidates.join(", ")})`;
  const where = config.secretsCandidates[config.secretsCandidates.length - 1] ?? ".kamal/secrets";
  const out: ConfigFinding[] = [];
  for (const use of uses) {
    if (defined.has(use.name)) continue;
    const { ref, lineText } = refAt(config, use.node, use.keyPath);
    out.push({
      checkId: "secret-not-defined",
      title: `Secret ${use.name} is not defined in ${config.secrets.length > 0 ? config.secrets.map((f) => f.file).join(" or ") : "any secrets file"}`,
      severity: "error",
      category: "secrets",
      ref,
      lineText,
      explanation: `\`${use.keyPath}\` asks for ${use.name}, and ${files} ${config.secrets.length > 1 ? "do" : "does"} not define it${config.location.destination ? ` (with -d ${config.location.destination}, Kamal reads ${config.secretsCandidates.join(" and ")}, not .kamal/secrets)` : ""}: Kamal stops with "Secret '${use.name}' not found".`,
      fix: `Add \`${use.name}=$${use.name}\` (or a \`kamal secrets fetch\` line) to ${where}; it is used at ${at(ref)}.`,
      more: [],
      docs: [`${DOCS}environment-variables/`],
    });
  }
  return out;
}

function secretUses(root: MapNode): SecretUse[] {
  const uses: SecretUse[] = [];
  const fromEnv = (env: Entry | undefined, path: string): void => {
    if (!env || env.node.kind !== "map" || env.node.erb) return;
    const secret = env.node.entries.get("secret");
    if (secret) fromList(secret, `${path}.secret`, (value) => value.split(":", 2)[1] ?? value);
    const tags = env.node.entries.get("tags");
    if (tags?.node.kind === "map") for (const [tag, e] of tags.node.entries) fromEnv(e, `${path}.tags.${tag}`);
  };
  const fromList = (entry: Entry, keyPath: string, nameOf: (value: string) => string): void => {
    if (entry.node.kind !== "seq") return;
    for (const item of entry.node.items) {
      const value = knownScalar(item);
      if (typeof value === "string" && value) uses.push({ name: nameOf(value), entry, node: item, keyPath });
    }
  };
  fromEnv(root.entries.get("env"), "env");
  const servers = root.entries.get("servers");
  if (servers?.node.kind === "map") for (const [role, e] of servers.node.entries) if (e.node.kind === "map") fromEnv(e.node.entries.get("env"), `servers.${role}.env`);
  const accessories = root.entries.get("accessories");
  if (accessories?.node.kind === "map") for (const [name, e] of accessories.node.entries) if (e.node.kind === "map") fromEnv(e.node.entries.get("env"), `accessories.${name}.env`);
  for (const key of ["username", "password"]) {
    const entry = entryAt(root, `registry.${key}`);
    // Only a list is a secret's name; a string is the value itself.
    if (entry?.node.kind === "seq") {
      const first = entry.node.items[0];
      const value = knownScalar(first);
      if (first && typeof value === "string") uses.push({ name: value, entry, node: first, keyPath: `registry.${key}` });
    }
  }
  const ssl = entryAt(root, "proxy.ssl");
  if (ssl?.node.kind === "map") {
    for (const key of ["certificate_pem", "private_key_pem"]) {
      const e = ssl.node.entries.get(key);
      const value = knownScalar(e?.node);
      if (e && typeof value === "string") uses.push({ name: value, entry: e, node: e.node, keyPath: `proxy.ssl.${key}` });
    }
  }
  return uses;
}

// ── registry ────────────────────────────────────────────────────────────────────────────────

/** The registry host at the front of an image name (`ghcr.io/acme/app`), if it has one. */
export function imageHost(image: string): string | null {
  const first = image.split("/")[0] ?? "";
  if (!image.includes("/")) return null;
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : null;
}

function registryChecks(config: LoadedConfig): ConfigFinding[] {
  const image = entryAt(config.root, "image");
  const imageName = knownScalar(image?.node);
  if (!image || typeof imageName !== "string") return [];
  const host = imageHost(imageName);
  if (!host) return [];
  const server = entryAt(config.root, "registry.server");
  const serverValue = server ? knownScalar(server.node) : null;
  if (server && serverValue === undefined) return [];
  const rest = imageName.slice(host.length + 1);
  const { ref, lineText } = refAt(config, image.origin, "image");
  if (serverValue === null || serverValue === undefined || serverValue === "") {
    const registry = entryAt(config.root, "registry");
    const target = registry ? refAt(config, registry.origin, "registry.server") : { ref, lineText };
    return [{
      checkId: "registry-server-missing",
      title: `The image is on ${host} but registry.server is not set: Kamal logs in to Docker Hub`,
      severity: "error",
      category: "registry-auth",
      ref: target.ref,
      lineText: target.lineText,
      explanation: `\`image: ${imageName}\` (${at(ref)}) names ${host}, but without \`registry.server\` \`kamal registry login\` goes to Docker Hub, so the push to ${host} is refused.`,
      fix: `Set \`registry.server: ${host}\` under \`registry:\` (${at(target.ref)}) and \`image: ${rest}\` (${at(ref)}).`,
      more: [],
      docs: [`${DOCS}docker-registry/`],
    }];
  }
  // Kamal prepends registry.server to the image: the host must not be written twice.
  const { ref: serverRef } = refAt(config, server?.origin ?? image.origin, "registry.server");
  const same = String(serverValue) === host;
  return [{
    checkId: "registry-server-image-host",
    title: same ? `The image repeats the registry host ${host}` : `The image names ${host} but registry.server is ${String(serverValue)}`,
    severity: "error",
    category: "image-not-found",
    ref,
    lineText,
    explanation: `Kamal builds the repository as registry.server + "/" + image, so \`image: ${imageName}\` becomes ${String(serverValue)}/${imageName}${same ? "" : `, and the login (${at(serverRef)}) is for ${String(serverValue)}, not ${host}`}.`,
    fix: same ? `Set \`image: ${rest}\` (${at(ref)}).` : `Set \`registry.server: ${host}\` (${at(serverRef)}) and \`image: ${rest}\` (${at(ref)}).`,
    more: [],
    docs: [`${DOCS}docker-registry/`],
  }];
}

// ── proxy SSL ───────────────────────────────────────────────────────────────────────────────

function sslChecks(config: LoadedConfig, target: KamalTarget): ConfigFinding[] {
  if (target.version && majorOf(target.version) !== 2) return [];
  const out: ConfigFinding[] = [];
  for (const role of proxyRoles(config.root)) {
    const proxy = role.proxy;
    if (proxy.node.kind !== "map" || proxy.node.erb) continue;
    const ssl = proxy.node.entries.get("ssl");
    if (!ssl || ssl.node.erb) continue;
    const on = ssl.node.kind === "map" || knownScalar(ssl.node) === true;
    if (!on) continue;
    const { ref, lineText } = refAt(config, ssl.origin, `${role.path}.ssl`);
    const custom = ssl.node.kind === "map" && ssl.node.entries.has("certificate_pem") && ssl.node.entries.has("private_key_pem");
    if (!custom && role.hosts !== undefined && role.hosts.length > 1) {
      out.push({
        checkId: "proxy-ssl-several-hosts",
        title: `proxy.ssl is on for role ${role.name}, which has ${role.hosts.length} servers`,
        severity: "error",
        category: "proxy",
        ref,
        lineText,
        explanation: `Let's Encrypt certificates are issued per server, so Kamal refuses: "SSL is only supported on a single server unless you provide custom certificates, found ${role.hosts.length} servers for role ${role.name}".`,
        fix: `Give a certificate: \`ssl: { certificate_pem: CERTIFICATE_PEM, private_key_pem: PRIVATE_KEY_PEM }\` (${at(ref)}), or terminate TLS at a load balancer and set \`ssl: false\`.`,
        more: [],
        docs: [`${DOCS}proxy/`],
      });
    }
    const host = proxy.node.entries.get("host") ?? proxy.node.entries.get("hosts");
    if (!host) {
      out.push({
        checkId: "proxy-ssl-no-host",
        title: "proxy.ssl is on but no proxy.host is set",
        severity: "error",
        category: "proxy",
        ref,
        lineText,
        explanation: `TLS needs the host name the certificate is for; Kamal stops with "Must set a host to enable automatic SSL" and kamal-proxy with "host must be set when using TLS".`,
        fix: `Add \`host: app.example.com\` (your domain) next to \`ssl:\` under \`${role.path}:\` (${at(ref)}).`,
        more: [],
        docs: [`${DOCS}proxy/`],
      });
    }
  }
  return out;
}

interface ProxyRole {
  name: string;
  /** Where the role's effective proxy settings are (`proxy` or `servers.web.proxy`). */
  path: string;
  proxy: Entry;
  /** The role's hosts, when known. */
  hosts: string[] | undefined;
}

/** The roles that run kamal-proxy with their proxy settings (role proxy merged over the root). */
function proxyRoles(root: MapNode): ProxyRole[] {
  const rootProxy = root.entries.get("proxy");
  const primary = knownScalar(root.entries.get("primary_role")?.node);
  const primaryRole = typeof primary === "string" ? primary : "web";
  const servers = root.entries.get("servers");
  const out: ProxyRole[] = [];
  const roles: [string, ConfigNode | null][] =
    servers?.node.kind === "seq" ? [["web", servers.node]] : servers?.node.kind === "map" ? [...servers.node.entries].map(([name, e]) => [name, e.node]) : [];
  for (const [name, node] of roles) {
    const own = node?.kind === "map" ? node.entries.get("proxy") : undefined;
    const ownValue = knownScalar(own?.node);
    if (ownValue === false) continue;
    if (name !== primaryRole && !own) continue;
    const hosts = node === null ? undefined : node.kind === "seq" ? knownStrings(node) : node.kind === "map" ? hostsOf(node.entries.get("hosts")?.node) : undefined;
    if (own && own.node.kind === "map") out.push({ name, path: `servers.${name}.proxy`, proxy: rootProxy && rootProxy.node.kind === "map" ? { ...own, node: mergeMaps(rootProxy.node, own.node) } : own, hosts });
    else if (rootProxy) out.push({ name, path: "proxy", proxy: rootProxy, hosts });
  }
  return out;
}

function hostsOf(node: ConfigNode | undefined): string[] | undefined {
  if (!node || node.erb || node.kind !== "seq") return undefined;
  const out: string[] = [];
  for (const item of node.items) {
    if (item.erb) return undefined;
    if (item.kind === "scalar") out.push(String(item.value));
    else if (item.kind === "map") out.push(...item.entries.keys()); // `- host: [tag]`
  }
  return out;
}

function mergeMaps(base: MapNode, over: MapNode): MapNode {
  return { ...over, entries: new Map([...base.entries, ...over.entries]) };
}

function finding(config: LoadedConfig, entry: Entry, keyPath: string, f: Pick<ConfigFinding, "checkId" | "title" | "severity" | "explanation" | "fix" | "docs">): ConfigFinding {
  const { ref, lineText } = refAt(config, entry.origin, keyPath);
  return { ...f, category: "config", ref, lineText, more: [] };
}
