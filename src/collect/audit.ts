// What `kamal audit` says about the version before this deploy. Kamal records "Booted app
// version V" before the health check, so the log is a list of boot attempts, not of successes:
// the candidate is the version booted before the failing one, and it is offered with that caveat.

const BOOTED = /\] (?:Booted|Started) app version ([\w.-]+)/;

/** The last version booted before `failing` (or before the last boot, when `failing` is unknown). */
export function versionBefore(lines: readonly string[], failing: string | null): string | null {
  const booted: string[] = [];
  for (const line of lines) {
    const version = BOOTED.exec(line)?.[1];
    if (version !== undefined && booted[booted.length - 1] !== version) booted.push(version);
  }
  const current = failing ?? booted[booted.length - 1] ?? null;
  for (let i = booted.length - 1; i >= 0; i--) if (booted[i] !== current) return booted[i] ?? null;
  return null;
}

export function auditNote(lines: readonly string[], failing: string | null): string | null {
  const before = versionBefore(lines, failing);
  if (before === null) return null;
  return `kamal audit: the version booted before this one was ${before} — the audit log records boot attempts, not successes, so check it ran healthy before \`kamal rollback ${before}\``;
}
