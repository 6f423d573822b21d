// Secret redaction: the one step every output that leaves the machine goes through (workflow
// annotations, the job summary, `--format github|markdown`, check runs, PR and commit comments,
// and any output printed inside GitHub Actions). It works on text, and on a whole Report by
// redacting every string a formatter may print. Values are replaced, names kept, so the user
// still sees *which* secret was in the line.

import type { DeploySummary, LockSummary, Report } from "../core/index.js";

export const REDACTED = "[redacted]";

// Each shape names the secret part `secret`; what comes before it (`keep`) stays.
// Order matters: whole-token shapes first, so an assignment rule does not leave half a token.
const PATTERNS: { name: string; regex: RegExp }[] = [
  { name: "private key", regex: /(?<secret>-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----|.*$))/gm },
  { name: "GitHub token", regex: /(?<secret>\bgh[pousr]_[A-Za-z0-9]{20,255})\b/g },
  { name: "GitHub fine-grained token", regex: /(?<secret>\bgithub_pat_[A-Za-z0-9_]{20,255})\b/g },
  { name: "AWS access key id", regex: /(?<secret>\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16})\b/g },
  { name: "JWT", regex: /(?<secret>\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*)/g },
  {
    name: "authorization header",
    regex: /(?<keep>\b(?:Proxy-)?Authorization["']?\s*[:=]\s*["']?(?:Bearer|Basic|token|Digest)\s+)(?<secret>[^\s"',;]+)/gi,
  },
  { name: "bearer token", regex: /(?<keep>\bBearer\s+)(?<secret>[A-Za-z0-9._~+/=-]{8,})/g },
  { name: "URL credentials", regex: /(?<keep>\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@"'<>]*:)(?<secret>[^\s/@"'<>]+)(?=@)/gi },
  // docker login -p x, kamal registry login -p x: -p elsewhere publishes ports, so only after `login`.
  { name: "login password flag", regex: /(?<keep>\blogin\b[^\n]*?\s-p\s*(?:=\s*)?)(?!\[redacted\]|\*{3}|\$)(?<secret>"[^"\n]*"|'[^'\n]*'|[^\s"']+)/g },
  { name: "password flag", regex: /(?<keep>--(?:registry-)?pass(?:word)?(?:=|[ \t]+))(?!-|\[redacted\]|\*{3}|\$|via the CLI)(?<secret>"[^"\n]*"|'[^'\n]*'|[^\s"']+)/gi },
  {
    // FOO_PASSWORD=x, KAMAL_REGISTRY_PASSWORD: x, "db_password":"x", SECRET_KEY_BASE=x, aws_secret_access_key = x;
    // not `$VAR` / `$(cmd)` references, `credentials:edit`, or Ruby's "in `validate_secret_key_base':".
    name: "secret assignment",
    regex:
      /(?<keep>\b[A-Za-z0-9_.-]*(?:PASSWORD|PASSWD|SECRET|TOKEN|_KEY|_KEY_BASE|APIKEY)(?:[ \t]*=[ \t]*|"?[ \t]*:[ \t]+|":[ \t]*))(?!\[redacted\]|\*{3}|\$)(?<secret>"[^"\n]+"|'[^'\n]+'|[^\s"',;}]+)/gi,
  },
  // What a workflow registered as a secret is one by definition.
  { name: "add-mask value", regex: /(?<keep>::add-mask::|##\[add-mask\])(?<secret>[^\r\n]+)/gi },
  // RAILS_MASTER_KEY and config/master.key are 32 hex digits, SECRET_KEY_BASE 128: lengths no
  // image digest (64), git SHA (40) or container id (12/64) has.
  { name: "hex key", regex: /(?<![0-9a-fA-F])(?<secret>[0-9a-f]{128}|[0-9a-f]{32})(?![0-9a-fA-F])/g },
];

/**
 * What a secrets command prints (`kamal secrets fetch`: `{"vault/item/FIELD":"value",…}`) is
 * secret values under any name: on a finding whose key line came from one, every quoted value
 * after a quoted name is masked, and learned so it is masked everywhere else too.
 */
const SECRETS_OUTPUT_VALUE = /(?<keep>"[^"\n]*"\s*:\s*)(?<secret>"[^"\n]+")/g;

/** Placeholders others already put there: Kamal's `[REDACTED]`, the runner's `***`. */
const ALREADY = /^(?:\[redacted\]|\*{3,})$/i;

/** A secret found in one place is masked everywhere, as the runner's masker does; short ones are not (too many false hits). */
const MIN_LEARNED = 6;

/**
 * Learns secret values from every text it is shown (a password after `-p`, a token after
 * `GITHUB_TOKEN=`), then redacts both the shapes and every other occurrence of those values.
 */
export class Redactor {
  private readonly known = new Set<string>();

  learn(text: string): void {
    for (const { regex } of PATTERNS) {
      for (const match of text.matchAll(regex)) {
        const secret = unquote(match.groups?.["secret"] ?? "");
        if (secret.length >= MIN_LEARNED && !ALREADY.test(secret)) this.known.add(secret);
      }
    }
  }

  /** Learns the values a secrets command printed (any length: the command says they are secrets). */
  learnSecretsOutput(text: string): void {
    for (const match of text.matchAll(SECRETS_OUTPUT_VALUE)) {
      const secret = unquote(match.groups?.["secret"] ?? "");
      if (secret.length > 0 && !ALREADY.test(secret)) this.known.add(secret);
    }
  }

  redact(text: string): string {
    let out = text;
    for (const { regex } of PATTERNS) {
      out = out.replace(regex, (...args) => {
        const groups = args.at(-1) as Record<string, string | undefined>;
        return ALREADY.test(unquote(groups["secret"] ?? "")) ? args[0] : `${groups["keep"] ?? ""}${REDACTED}`;
      });
    }
    if (this.known.size > 0) {
      const longestFirst = [...this.known].sort((a, b) => b.length - a.length);
      for (const secret of longestFirst) out = out.split(secret).join(REDACTED);
    }
    return out;
  }
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

/** Redacts every secret shape in one text (and the values it reveals, wherever they recur in it). */
export function redactText(text: string): string {
  const redactor = new Redactor();
  redactor.learn(text);
  return redactor.redact(text);
}

/** The names of the secret shapes found in a text. */
export function secretKinds(text: string): string[] {
  return PATTERNS.filter(({ regex }) => [...text.matchAll(regex)].length > 0).map(({ name }) => name);
}

/** A copy of the report with every printable string redacted; a secret seen anywhere is masked everywhere. */
export function redactReport(report: Report): Report {
  const redactor = new Redactor();
  forEachText(report, (text) => redactor.learn(text));
  for (const f of report.findings) if (f.origin?.command === "secrets") for (const e of f.evidenceLines) redactor.learnSecretsOutput(e.text);
  const r = (text: string) => redactor.redact(text);
  const deploy = <D extends DeploySummary>(d: D): D => {
    const failed = d.failedCommand;
    return { ...d, command: d.command === null ? null : r(d.command), failedCommand: failed ? { ...failed, command: r(failed.command), source: r(failed.source) } : null };
  };
  return {
    ...report,
    sources: report.sources.map((source) => ({
      ...source,
      name: r(source.name),
      step: source.step ? { ...source.step, name: r(source.step.name) } : null,
      attachedTo: source.attachedTo === null ? null : r(source.attachedTo),
    })),
    deploy: deploy(report.deploy),
    deploys: report.deploys.map((entry) => ({ ...deploy(entry), source: r(entry.source), attached: entry.attached.map(r) })),
    findings: report.findings.map((f) => ({
      ...f,
      title: r(f.title),
      source: r(f.source),
      evidence: f.evidence.map(r),
      evidenceLines: f.evidenceLines.map((e) => ({ ...e, text: r(e.text) })),
      captures: Object.fromEntries(Object.entries(f.captures).map(([key, value]) => [key, r(value)])),
      explanation: r(f.explanation),
      remediation: f.remediation.map(r),
      step: f.step ? { ...f.step, name: r(f.step.name) } : null,
    })),
    unmatched: report.unmatched.map((line) => ({ ...line, source: r(line.source), text: r(line.text) })),
    ...(report.lock ? { lock: redactLock(report.lock, r) } : {}),
  };
}

/** The lock's text comes from the log (the holder's name and message) and from the destination. */
function redactLock(lock: LockSummary, r: (text: string) => string): LockSummary {
  const holder = lock.holder;
  const maybe = (value: string | null) => (value === null ? null : r(value));
  return {
    ...lock,
    source: r(lock.source),
    holder: holder ? { name: maybe(holder.name), lockedAt: maybe(holder.lockedAt), version: maybe(holder.version), message: maybe(holder.message) } : null,
    destination: maybe(lock.destination),
    summary: r(lock.summary),
    commands: { status: r(lock.commands.status), release: r(lock.commands.release) },
    advice: lock.advice.map(r),
  };
}

function forEachText(report: Report, visit: (text: string) => void): void {
  for (const d of [report.deploy, ...report.deploys]) {
    if (d.command) visit(d.command);
    if (d.failedCommand) visit(d.failedCommand.command);
  }
  for (const f of report.findings) {
    for (const e of f.evidenceLines) visit(e.text);
    for (const value of Object.values(f.captures)) visit(value);
    visit(f.title);
    visit(f.explanation);
  }
  for (const u of report.unmatched) visit(u.text);
  if (report.lock) for (const line of [report.lock.summary, ...report.lock.advice]) visit(line);
}
