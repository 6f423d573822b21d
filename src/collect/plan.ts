// Which read-only Kamal commands to run after a wrapped deploy failed (`exec --collect`), decided
// from the report — the failed phase, the root cause's category, the failed command — never from
// log wording. Pure: a report and the wrapped argv in, a list of commands out.

import type { Phase, Report } from "../core/index.js";

export interface CollectCommand {
  /** The source name in the report, e.g. `kamal app logs`. */
  name: string;
  argv: string[];
  /** The phase findings in its output belong to. */
  phase: Phase | null;
  /** Its output is the failed container's own (app logs). */
  containerOutput: boolean;
}

/** What the deploy's own lines said about the container it started (see ContainerWatch). */
export interface ContainerFacts {
  containerId: string | null;
  version: string | null;
}

const BOOT_PHASES: ReadonlySet<string> = new Set(["boot", "health-check"]);
const BOOT_CATEGORIES: ReadonlySet<string> = new Set(["health-check", "app-boot"]);
/** Options of the wrapped command that every follow-up must share, with and without a value. */
const SHARED = [
  ["-d", "--destination"],
  ["-c", "--config-file"],
  ["-r", "--roles"],
] as const;

/** `bundle exec kamal` / `bin/kamal` / `kamal`: the argv up to the kamal executable; null when it is not Kamal. */
export function kamalPrefix(argv: readonly string[]): string[] | null {
  const at = argv.findIndex((arg) => /(?:^|\/)kamal$/.test(arg));
  return at === -1 ? null : argv.slice(0, at + 1);
}

/** `-d staging`, `--destination=staging`, `-dstaging` … of the wrapped command, normalised to `-d staging`. */
export function sharedOptions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") break;
    for (const [short, long] of SHARED) {
      let value: string | undefined;
      if (arg === short || arg === long) value = argv[++i];
      else if (arg.startsWith(`${long}=`)) value = arg.slice(long.length + 1);
      else if (arg.startsWith(short) && arg.length > 2 && !arg.startsWith("--")) value = arg.slice(2);
      if (value !== undefined) out.push(short, value);
    }
  }
  return out;
}

/** The container the failed health check was about: kamal-proxy's `--target="<id>:<port>"`. */
export function targetOf(command: string | null | undefined): string | null {
  const target = command ? /--target[= ]"?([0-9a-f]{12,64}):\d+/.exec(command) : null;
  return target?.[1] ?? null;
}

export function planCollection(report: Report, argv: readonly string[], facts: ContainerFacts): CollectCommand[] {
  const prefix = kamalPrefix(argv);
  if (!prefix || report.outcome !== "failed") return [];
  const shared = sharedOptions(argv.slice(prefix.length));
  const version = report.deploy.kamalVersion;
  const kamal1 = version === "1.x" || version === "0.x";
  const failedPhase = report.deploy.failedPhase;
  const root = report.findings.find((finding) => finding.rootCause) ?? null;
  const categories = new Set(report.findings.filter((f) => f.severity === "error").map((f) => f.category));
  const make = (name: string, args: string[], phase: Phase | null, containerOutput = false): CollectCommand => ({
    name,
    argv: [...prefix, ...args, ...shared],
    phase,
    containerOutput,
  });
  const plan: CollectCommand[] = [];

  const bootFailed =
    (failedPhase !== null && BOOT_PHASES.has(failedPhase)) || (root !== null && BOOT_CATEGORIES.has(root.category));
  if (bootFailed) {
    const phase = failedPhase ?? root?.phase ?? "health-check";
    const container = targetOf(report.deploy.failedCommand?.command) ?? facts.containerId;
    const which = container ? ["--container-id", container] : facts.version ? ["--version", facts.version] : [];
    plan.push(make("kamal app logs", ["app", "logs", ...which, "--lines", "200"], phase, true));
    if (kamal1) plan.push(make("kamal traefik logs", ["traefik", "logs", "--lines", "100"], phase));
    else plan.push(make("kamal proxy logs", ["proxy", "logs", "--lines", "100"], phase));
  }
  if (failedPhase === "lock" || root?.category === "deploy-lock" || categories.has("deploy-lock")) {
    plan.push(make("kamal lock status", ["lock", "status"], "lock"));
  }
  if (!kamal1) plan.push(make("kamal audit", ["audit"], null));
  return plan;
}
