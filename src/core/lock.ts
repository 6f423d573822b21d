// The deploy lock as data: when a deploy failed on the lock (or left it held), the report's
// `lock` section says who holds it, what state it is in as far as the log (and, with GitHub, the
// run that took it) shows, and what to do — advice true for the log's Kamal version and for the
// destination when it is known. Pure: the GitHub side (github/lock.ts) passes the run it found.

import { configArgs } from "./command-line.js";
import type { Finding, LockHolder, LockRun, LockState, LockSummary, Report } from "./report.js";

/** Rules of the deploy-lock category that are about something else than a held lock. */
const NOT_A_LOCK = new Set(["kamal-dir-not-writable", "deploy-lock-masks-other-error"]);
/** Kamal's message for a lock a deploy took itself (a manual `kamal lock acquire -m` has another). */
export const AUTOMATIC_LOCK = "Automatic deploy lock";

export interface LockContext {
  /** The destination (`-d`); undefined keeps the one already in the report's `lock`. */
  destination?: string | null;
  /** The run that took the lock (null: none fits); undefined keeps the one already there, if any. */
  run?: LockRun | null;
  /** For "ended 3 days ago". */
  now?: Date;
}

/**
 * The destination the lock's commands are for: the one given (`-d`), else the config's that was
 * read, else the `-d` of the kamal command the log shows (`Run kamal deploy -d production`).
 */
export function lockDestination(given: string | null | undefined, report: Pick<Report, "config">, kamalCommand: string | null): string | null {
  return given ?? report.config?.destination ?? (kamalCommand ? configArgs(kamalCommand).destination : null);
}

/** The report with its `lock` section (re)made from its findings and the context; without it when the lock is not in question. */
export function withLock(report: Report, context: LockContext = {}): Report {
  const { lock: _old, ...rest } = report;
  const lock = lockSummary(report, context);
  return lock ? { ...rest, lock } : rest;
}

/** The lock section of a report, or null when the deploy neither failed on the lock nor left it held. */
export function lockSummary(report: Report, context: LockContext = {}): LockSummary | null {
  const destination = context.destination !== undefined ? context.destination : (report.lock?.destination ?? null);
  const run = context.run !== undefined ? context.run : report.lock?.run;
  // A cancelled run whose deploy took the lock and never released it: the run is this log's own.
  const cancelled = run?.matchedBy === "log";
  // The root cause; in a log with no outcome, where it stops — or the lock it is waiting for (the 2.12 heartbeat).
  const root =
    report.findings.find((f) => f.rootCause) ??
    (report.outcome === "failed" ? undefined : (report.findings.find((f) => f.severity !== "info") ?? report.findings.find((f) => f.ruleId === "deploy-lock-holder" && f.captures["retryIn"] !== undefined)));
  const deploy = cancelled
    ? report.deploys.find((d) => d.phases.some((p) => p.name === "lock") && !d.phases.some((p) => p.name === "release-lock"))
    : root && report.deploys.find((d) => d.source === root.source || d.attached.includes(root.source));
  const source = deploy?.source ?? root?.source ?? report.sources[0]?.name;
  if (source === undefined) return null;
  const names = new Set(deploy ? [deploy.source, ...deploy.attached] : [source]);
  const mine = report.findings.filter((f) => names.has(f.source));
  const isLock = !cancelled && root !== undefined && root.category === "deploy-lock" && !NOT_A_LOCK.has(root.ruleId) && root.ruleId !== "deploy-lock-not-released";
  const notReleased = mine.find((f) => f.ruleId === "deploy-lock-not-released");
  if (!isLock && !cancelled && !notReleased) return null;

  const block = mine.find((f) => f.ruleId === "deploy-lock-holder");
  const holder = isLock && block ? holderOf(block) : null;
  const waited = isLock && (block?.captures["retryIn"] !== undefined || mine.some((f) => f.ruleId === "deploy-lock-wait-timeout"));
  const timedOut = mine.some((f) => f.ruleId === "deploy-lock-wait-timeout");
  const state: LockState = !isLock ? "left-held" : run ? (run.status === "completed" ? "stale" : "held") : "unknown";
  const kamalVersion = (deploy ?? report.deploy).kamalVersion;
  const cli = kamalVersion === "0.x" ? "mrsk" : "kamal";
  const dest = destination ? ` -d ${destination}` : "";
  const commands = { status: `${cli} lock status${dest}`, release: `${cli} lock release${dest}` };
  const facts: AdviceFacts = { state, holder, run: run ?? null, looked: run !== undefined, waited, timedOut, cancelled, kamalVersion, cli, pinned: report.config?.pinnedKamal ?? null, destination, commands, now: context.now ?? new Date() };
  return {
    state,
    source,
    holder,
    waited,
    destination,
    ...(run !== undefined ? { run } : {}),
    summary: lockLine(facts),
    commands,
    advice: lockAdvice(facts),
  };
}

function holderOf(block: Finding): LockHolder | null {
  const c = block.captures;
  const holder = { name: c["holder"] ?? null, lockedAt: c["lockedAt"] ?? null, version: c["lockVersion"] ?? null, message: c["lockMessage"] ?? null };
  return Object.values(holder).some((value) => value !== null) ? holder : null;
}

interface AdviceFacts {
  state: LockState;
  holder: LockHolder | null;
  run: LockRun | null;
  /** GitHub was asked for the run (run is null when none fits). */
  looked: boolean;
  waited: boolean;
  timedOut: boolean;
  cancelled: boolean;
  kamalVersion: string | null;
  /** `kamal`, or `mrsk` for MRSK (0.x). */
  cli: string;
  /** The Kamal version Gemfile.lock pins, when the config was read. */
  pinned: string | null;
  destination: string | null;
  commands: { status: string; release: string };
  now: Date;
}

/** "Jane Doe at 2026-06-18T09:12:44Z, version 8b1e0d7" */
function who(holder: LockHolder | null): string {
  if (!holder) return "someone (Kamal did not print who)";
  return `${holder.name ?? "someone"}${holder.lockedAt ? ` at ${holder.lockedAt}` : ""}${holder.version ? `, version ${holder.version}` : ""}`;
}

const manual = (holder: LockHolder | null) => holder?.message != null && holder.message !== AUTOMATIC_LOCK;

function ended(run: LockRun, now: Date): string {
  const how = run.conclusion === "cancelled" ? "was cancelled" : run.conclusion === "success" ? "succeeded (yet the lock is still there)" : `ended: ${run.conclusion ?? "unknown"}`;
  if (!run.endedAt) return how;
  const days = Math.floor((now.getTime() - Date.parse(run.endedAt)) / 86_400_000);
  if (Number.isNaN(days)) return how;
  return `${how}, ${days <= 0 ? "today" : `${days} day${days === 1 ? "" : "s"} ago`}`;
}

/** The one line: what state the lock is in. */
function lockLine(f: AdviceFacts): string {
  switch (f.state) {
    case "held":
      return `held by run ${f.run?.id} (${f.run?.url}), still ${(f.run?.status ?? "running").replace(/_/g, " ")}: wait for it, do not release the lock`;
    case "stale":
      return `stale: taken by run ${f.run?.id} (${f.run?.url}), which ${f.run ? ended(f.run, f.now) : "is over"}; it can be released`;
    case "left-held":
      return f.cancelled
        ? `probably left held: this deploy took it ("Acquiring the deploy lock...") and was cancelled before "Releasing the deploy lock..."`
        : "left held: Kamal did not release it after this deploy failed";
    case "unknown":
      return f.looked
        ? `held by ${who(f.holder)}; no run of this workflow took it`
        : `held by ${who(f.holder)}${manual(f.holder) ? ` ("${f.holder?.message}")` : ""}${f.waited && !f.timedOut ? "; this deploy is waiting for it" : ""}`;
  }
}

/** What to do, one line each. Never a release while the holder may still be deploying. */
function lockAdvice(f: AdviceFacts): string[] {
  const { status, release } = f.commands;
  const hint = f.destination ? "" : " (add `-d DESTINATION` if you deploy to one)";
  const lines: string[] = [];
  const name = f.holder?.name ?? "its holder";
  if (f.state === "unknown" && f.looked) lines.push(`No run of this workflow matches the holder (by its version and time): it may come from a laptop or another workflow; ask ${name} before releasing it.`);
  if (manual(f.holder)) lines.push(`The lock was taken on purpose (\`${f.cli} lock acquire -m "${f.holder?.message}"\`, not a deploy's "${AUTOMATIC_LOCK}"): ask ${name} before releasing it.`);
  switch (f.state) {
    case "held":
      lines.push(`Wait for run ${f.run?.id} to finish; release the lock (\`${release}\`) only if it ends without releasing it.`);
      break;
    case "stale":
      lines.push(`See that no deploy is running (\`${status}\`${hint}), then release it: \`${release}\`.`);
      break;
    case "left-held":
      lines.push(
        f.cancelled
          ? `Check it: \`${status}\`${hint}; once no deploy is running, release it: \`${release}\`.`
          : `Fix the failure first, then release the lock: \`${release}\`${hint} (\`${status}\` shows it).`,
      );
      break;
    case "unknown":
      lines.push(`See who holds it and whether that deploy still runs: \`${status}\`${hint}.`);
      lines.push(`Release it only when no deploy is running: \`${release}\`.`);
      break;
  }
  lines.push(
    f.destination
      ? `Serialise deploys to ${f.destination} in GitHub Actions: \`concurrency: { group: deploy-${f.destination}, cancel-in-progress: false }\` (a cancelled deploy is what leaves a lock held).`
      : "Serialise deploys in GitHub Actions: `concurrency: { group: deploy, cancel-in-progress: false }` (a group per destination if there are several; a cancelled deploy is what leaves a lock held).",
  );
  const wait = lockWait(f);
  if (wait) lines.push(wait);
  return lines;
}

/** `--lock-wait` (Kamal 2.12): only where it is true — not on Kamal 0.x/1.x, not for a manual lock (it does not wait for one). */
function lockWait(f: AdviceFacts): string | null {
  if (f.state === "left-held" || f.state === "stale" || manual(f.holder)) return null;
  if (f.timedOut) return "The deploy waited for the lock (`--lock-wait`) and gave up: raise `--lock-wait-timeout` if deploys overlap for longer, or release a lock that is stale.";
  if (f.waited) return null;
  if (f.kamalVersion === "0.x" || f.kamalVersion === "1.x") return null;
  const pinned = f.pinned ? /^(\d+)\.(\d+)/.exec(f.pinned) : null;
  if (pinned && Number(pinned[1]) === 2 && Number(pinned[2]) < 12) {
    return `Kamal 2.12 adds \`kamal deploy --lock-wait\`, which waits for a running deploy instead of failing (Gemfile.lock pins ${f.pinned}).`;
  }
  if (pinned && (Number(pinned[1]) > 2 || Number(pinned[2]) >= 12)) return "`kamal deploy --lock-wait` waits for a running deploy instead of failing.";
  if (pinned) return null;
  return "On Kamal 2.12 or later, `kamal deploy --lock-wait` waits for a running deploy instead of failing.";
}
