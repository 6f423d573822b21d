// Config versus the log: a pure function over (the config read, the analysis report, the few
// facts the report does not keep) that returns the report with a `config` section, a configRef
// and a sharper first remediation on each finding the config explains, and new findings for
// what only the two together show. Each check fires only when both sides are known.

import type { Finding, Report } from "../core/index.js";
import { kamalTarget, staticChecks, type KamalTarget } from "./checks.js";
import { at, refAt, type ConfigFinding, type ConfigRef } from "./findings.js";
import { DEFAULTS, LATEST, majorOf } from "./kamal-keys.js";
import type { LoadedConfig } from "./load.js";
import type { LogFacts } from "./log-facts.js";
import { configSummary, toFinding } from "./report.js";
import { entryAt, knownScalar, type ConfigNode, type Entry } from "./tree.js";

const HEALTH_RULES = new Set(["proxy-target-unhealthy", "healthcheck-connection-refused", "container-not-ready", "non-proxy-role-not-ready"]);

/** The Kamal the log ran: its major from the log, the exact version from Gemfile.lock when they agree. */
export function logTarget(config: LoadedConfig, report: Report): KamalTarget {
  const major = report.deploy.kamalVersion ? majorOf(report.deploy.kamalVersion) : null;
  if (major === null) return kamalTarget(config);
  const pinned = config.pinned ? majorOf(config.pinned.version) : null;
  if (pinned === major && config.pinned) return { version: config.pinned.version, from: "Gemfile.lock" };
  return { version: LATEST[major], from: "log" };
}

export function crossCheck(config: LoadedConfig, report: Report, facts: LogFacts): Report {
  const target = logTarget(config, report);
  const hosts = hostsCheck(config, report);
  // A log from other servers than this config's was not made with it: compare nothing else.
  if (hosts?.disjoint) return { ...report, findings: [...report.findings, toFinding(hosts.finding)], config: configSummary(config, target) };
  const statics = report.outcome === "failed" ? staticChecks(config, target) : [];
  const used = new Set<ConfigFinding>();
  const findings = report.findings.map((finding) => {
    const sharper = explain(finding, config, report, facts, statics, used);
    return sharper ? attach(finding, sharper) : finding;
  });
  const extra: Finding[] = [];
  const skew = versionSkew(config, report);
  if (skew) extra.push(toFinding(skew));
  if (hosts) extra.push(toFinding(hosts.finding));
  for (const f of statics) if (!used.has(f) && f.severity === "error") extra.push(toFinding(f));
  return { ...report, findings: [...findings, ...extra], config: configSummary(config, target) };
}

interface Sharper {
  ref: ConfigRef;
  fix: string;
  /** A sentence added to the explanation. */
  why?: string;
}

function attach(finding: Finding, sharper: Sharper): Finding {
  return {
    ...finding,
    configRef: sharper.ref,
    evidence: [...finding.evidence, `${sharper.ref.file}:${sharper.ref.line}: ${sharper.ref.text}`],
    explanation: sharper.why ? `${finding.explanation} ${sharper.why}`.trim() : finding.explanation,
    // The rule's own step about the same key ("raise `deploy_timeout`") is what the edit says exactly.
    remediation: [sharper.fix, ...finding.remediation.filter((step) => !step.includes(`\`${sharper.ref.key}\``))],
  };
}

function explain(finding: Finding, config: LoadedConfig, report: Report, facts: LogFacts, statics: ConfigFinding[], used: Set<ConfigFinding>): Sharper | null {
  const take = (predicate: (f: ConfigFinding) => boolean): Sharper | null => {
    const match = statics.find((f) => !used.has(f) && predicate(f));
    if (!match) return null;
    used.add(match);
    return { ref: match.ref, fix: match.fix, why: match.explanation };
  };
  if (HEALTH_RULES.has(finding.ruleId)) return appPort(config, report, facts) ?? bootTime(config, report, facts);
  switch (finding.ruleId) {
    case "healthcheck-bad-status":
      return healthPath(config, finding.captures["status"] ?? "");
    case "config-unknown-key": {
      const keys = (finding.captures["keys"] ?? "").split(/[,\s]+/).filter(Boolean);
      return take((f) => keys.some((key) => f.ref.key === key || f.ref.key.endsWith(`.${key}`)));
    }
    case "secret-not-found":
      return take((f) => f.checkId === "secret-not-defined" && f.title.startsWith(`Secret ${finding.captures["secret"] ?? "\0"} `));
    case "build-exec-format-error":
    case "container-platform-mismatch":
      return builderArch(config, finding);
  }
  if (finding.category === "registry-auth" || finding.category === "image-not-found") return take((f) => f.checkId.startsWith("registry-server"));
  if (finding.category === "ssh-auth") return sshUser(config, finding);
  return null;
}

// ── X1: the port kamal-proxy checks versus the port the app listens on ──────────────────────

function appPort(config: LoadedConfig, report: Report, facts: LogFacts): Sharper | null {
  const major = majorOf(report.deploy.kamalVersion ?? "2") ?? 2;
  if (major !== 2) return null;
  const entry = entryAt(config.root, "proxy.app_port");
  const value = entry ? knownScalar(entry.node) : DEFAULTS[2]["proxy.app_port"];
  const configured = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value) ? Number(value) : null;
  if (configured === null) return null; // written with ERB, or not a number: nothing to assert
  const target = /--target="?[^":\s]+:(\d+)"?/.exec(report.deploy.failedCommand?.command ?? "");
  const checked = target?.[1] ? Number(target[1]) : configured;
  const announced = [...new Set(facts.listening.map((l) => l.port))];
  // Only a single, unambiguous port the app announced is evidence (Thruster and Puma may both speak).
  const listening = announced.length === 1 ? announced[0] : announced.includes(checked) ? checked : undefined;
  // The config already says what the app does: this log came from another config.
  if (listening === undefined || listening === checked || listening === configured) return null;
  const line = facts.listening.find((l) => l.port === listening);
  const exposed = config.exposed.some((e) => e.port === listening) ? ` The Dockerfile EXPOSEs ${listening} too.` : "";
  const where = placeFor(config, entry, "proxy", "app_port");
  return {
    ref: where.ref,
    fix: `${entry ? "Set" : "Add"} \`proxy.app_port: ${listening}\` (${at(where.ref)}).`,
    why: `The app listens on ${listening} (${line ? `${line.source}:${line.line}: ${line.text}` : "its log"}), but kamal-proxy checks port ${checked}${entry ? "" : " (`proxy.app_port` unset → 80)"}.${exposed}`,
  };
}

// ── X3: a boot slower than deploy_timeout ──────────────────────────────────────────────────

/** A little over what was measured, in tens: 43 s → 50, 47 s → 60. */
export function timeoutFor(seconds: number): number {
  return Math.ceil((seconds + 5) / 10) * 10;
}

function bootTime(config: LoadedConfig, report: Report, facts: LogFacts): Sharper | null {
  // Kamal 2 waits deploy_timeout for the health check; Kamal 1 counts attempts instead.
  if (majorOf(report.deploy.kamalVersion ?? "2") !== 2) return null;
  const boot = facts.boot;
  if (!boot || boot.restarted) return null;
  const entry = entryAt(config.root, "deploy_timeout");
  const value = entry ? knownScalar(entry.node) : DEFAULTS[2].deploy_timeout;
  if (typeof value !== "number") return null; // ERB, or a value the type check reports
  // The deadline that ran is the one kamal-proxy was given, when the log shows it.
  const deadline = facts.deployTimeout ?? value;
  const listen = facts.listening.find((l) => l.clock === boot.clock && l.at !== null && l.at >= boot.start.at);
  const clock = boot.clock === "app" ? "its own log's timestamps" : "the runner's timestamps";
  const where = placeFor(config, entry, "", "deploy_timeout");
  const verb = entry ? "Set" : "Add";
  const seconds = (ms: number) => Math.round(ms / 100) / 10;
  if (listen?.at != null) {
    const took = seconds(listen.at - boot.start.at);
    if (took <= deadline) return null;
    const n = timeoutFor(took);
    return {
      ref: where.ref,
      fix: `${verb} \`deploy_timeout: ${n}\` (${at(where.ref)}), or make the boot faster (migrations and asset compilation belong before the deploy).`,
      why: `The app took ${took} s to listen (${clock}: ${boot.start.source}:${boot.start.line} → ${listen.source}:${listen.line}: ${listen.text}), and the health check gives it ${deadline} s (\`deploy_timeout\`${entry ? "" : ", unset → 30"}).`,
    };
  }
  // No announcement: the app still writing near the deadline was still booting, not dead.
  const last = boot.last;
  if (boot.clock !== "app" || !last || facts.listening.length > 0) return null;
  const span = seconds(last.at - boot.start.at);
  if (span < deadline * 0.75) return null;
  const n = Math.ceil((Math.max(span, deadline) * 2) / 10) * 10;
  return {
    ref: where.ref,
    fix: `${verb} \`deploy_timeout: ${n}\` (${at(where.ref)}: twice the ${span} s seen, as the boot's end is not in the log), or make the boot faster.`,
    why: `The app was still booting when the health check gave up after ${deadline} s: its own log runs ${span} s (${boot.start.source}:${boot.start.line} → ${last.source}:${last.line}: ${last.text}) and never says it is listening.`,
  };
}

// ── X2: the health path answering 404 or a redirect ─────────────────────────────────────────

function healthPath(config: LoadedConfig, status: string): Sharper | null {
  const entry = entryAt(config.root, "proxy.healthcheck.path");
  const value = entry ? knownScalar(entry.node) : DEFAULTS[2]["proxy.healthcheck.path"];
  if (typeof value !== "string") return null;
  const where = placeFor(config, entry, "proxy", "healthcheck.path");
  if (status === "404") {
    return { ref: where.ref, fix: `Point \`proxy.healthcheck.path\` at a route that answers 200 (it is ${value}, ${at(where.ref)}), or add a ${value} route to the app.`, why: `The health check asks for ${value}, which the app does not route.` };
  }
  if (/^30[1278]$/.test(status)) {
    return {
      ref: where.ref,
      fix: `Exempt ${value} from the redirect (Rails: \`config.ssl_options = { redirect: { exclude: ->(request) { request.path == "${value}" } } }\` and \`config.host_authorization = { exclude: ->(request) { request.path == "${value}" } }\`); the check is configured at ${at(where.ref)}.`,
      why: `The health check of ${value} is redirected (force_ssl or host authorization), and kamal-proxy counts a redirect as a failure.`,
    };
  }
  return null;
}

// ── X6: builder.arch versus exec format error; ssh.user versus a refused login ─────────────────

function builderArch(config: LoadedConfig, finding: Finding): Sharper | null {
  const entry = entryAt(config.root, "builder.arch");
  if (entry?.node.erb) return null;
  const hostPlatform = /linux\/(\w+)/.exec(finding.captures["host_platform"] ?? "")?.[1];
  const where = placeFor(config, entry, "builder", "arch");
  const arch = hostPlatform ?? "amd64 or arm64 (the servers' architecture: `uname -m` on a server)";
  return { ref: where.ref, fix: `${entry ? "Set" : "Add"} \`builder.arch: ${arch}\` (${at(where.ref)}).`, why: "The image was built for another CPU architecture than the one that runs it." };
}

function sshUser(config: LoadedConfig, finding: Finding): Sharper | null {
  const entry = entryAt(config.root, "ssh.user");
  const value = entry ? knownScalar(entry.node) : "root";
  if (typeof value !== "string") return null;
  const user = finding.captures["user"] ?? (finding.evidence.some((e) => e.includes(`${value}@`)) ? value : null);
  if (user !== null && user !== value) return null;
  const where = placeFor(config, entry, "ssh", "user");
  if (!entry) return { ref: where.ref, fix: `Add \`ssh.user: deploy\` (the account your key is authorised for; ${at(where.ref)}), or authorise the key for root.`, why: "`ssh.user` is unset, so Kamal logs in as root." };
  return { ref: where.ref, fix: `Check that the key is authorised for ${value} on the server, or set \`ssh.user\` to the account that has it (${at(where.ref)}).`, why: `Kamal logs in as ${value} (\`ssh.user\`).` };
}

// ── X4: the Kamal in CI versus Gemfile.lock ────────────────────────────────────────────────────

function versionSkew(config: LoadedConfig, report: Report): ConfigFinding | null {
  const ran = report.deploy.kamalVersion ? majorOf(report.deploy.kamalVersion) : null;
  const pinned = config.pinned;
  if (ran === null || !pinned || majorOf(pinned.version) === ran) return null;
  const lock = { file: "Gemfile.lock", line: pinned.line, key: "kamal", text: `kamal (${pinned.version})` };
  return {
    checkId: "kamal-version-skew",
    title: `This run used Kamal ${ran}.x, but Gemfile.lock pins ${pinned.version}`,
    severity: "error",
    category: "config",
    ref: lock,
    lineText: `    kamal (${pinned.version})`,
    explanation: `The deploy ran a Kamal that is not the one the project pins (an unpinned \`gem install kamal\` in CI installs the newest), so the config is read by a Kamal it was not written for.`,
    fix: `Run \`bundle exec kamal\` in CI, or install the pinned one: \`gem install kamal -v ${pinned.version}\` (Gemfile.lock:${pinned.line}).`,
    more: [],
    docs: ["https://kamal-deploy.org/docs/upgrading/overview/"],
  };
}

// ── X6: the hosts in the log versus servers and accessory hosts ─────────────────────────────────

/** Every host the config names, or undefined when any of them is unknown (ERB). */
export function configHosts(config: LoadedConfig): Set<string> | undefined {
  const hosts = new Set<string>();
  const add = (node: ConfigNode | undefined): boolean => {
    if (!node) return true;
    if (node.erb) return false;
    if (node.kind === "scalar") {
      if (node.value !== null) hosts.add(String(node.value));
      return true;
    }
    if (node.kind === "seq") return node.items.every((item) => (item.kind === "map" ? [...item.entries.keys()].every((h) => hosts.add(h)) : add(item)));
    return true;
  };
  const servers = config.root.entries.get("servers")?.node;
  if (!servers) return undefined;
  if (servers.kind === "seq" && !add(servers)) return undefined;
  if (servers.kind === "map") {
    for (const role of servers.entries.values()) {
      const node = role.node.kind === "map" ? role.node.entries.get("hosts")?.node : role.node;
      if (!add(node)) return undefined;
    }
  }
  const accessories = config.root.entries.get("accessories")?.node;
  if (accessories?.kind === "map") {
    for (const accessory of accessories.entries.values()) {
      if (accessory.node.kind !== "map") continue;
      if (!add(accessory.node.entries.get("host")?.node) || !add(accessory.node.entries.get("hosts")?.node)) return undefined;
    }
  }
  return hosts;
}

function hostsCheck(config: LoadedConfig, report: Report): { finding: ConfigFinding; disjoint: boolean } | null {
  const known = configHosts(config);
  const logged = report.deploy.hosts.filter((h) => h !== "localhost" && !h.includes("@"));
  if (!known || known.size === 0 || logged.length === 0) return null;
  const missing = logged.filter((h) => !known.has(h) && !known.has(h.replace(/:\d+$/, "")));
  if (missing.length === 0) return null;
  const servers = config.root.entries.get("servers");
  const { ref, lineText } = refAt(config, servers?.origin ?? { file: config.location.file, line: 1 }, "servers");
  const disjoint = missing.length === logged.length;
  const files = config.files.map((f) => f.path).join(" + ");
  return {
    disjoint,
    finding: {
      checkId: "config-hosts-differ",
      title: disjoint ? `The log's hosts are not in ${files}` : `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not in ${files}`,
      severity: "warning",
      category: "config",
      ref,
      lineText,
      explanation: `The deploy ran on ${missing.join(", ")}, which \`servers\` and the accessories' hosts of ${files} do not list${disjoint ? ", so this log was not made with this config: it was not compared with it" : ""}.`,
      fix: `Check against the config that ran: \`-c FILE\` and \`-d DESTINATION\` as in the deploy's own \`kamal\` command (${at(ref)}).`,
      more: [],
      docs: [`https://kamal-deploy.org/docs/configuration/servers/`],
    },
  };
}

/** Where to write a key: its own line when set, else its section's line, else the top of the file. */
function placeFor(config: LoadedConfig, entry: Entry | undefined, section: string, key: string): { ref: ConfigRef } {
  const path = section ? `${section}.${key}` : key;
  if (entry) return { ref: refAt(config, entry.origin, path).ref };
  // A top-level key goes at the top of the base file.
  const parent = section ? entryAt(config.root, section) : undefined;
  const file = config.files[0];
  return { ref: refAt(config, parent?.origin ?? { file: file?.path ?? config.location.file, line: 1 }, path).ref };
}
