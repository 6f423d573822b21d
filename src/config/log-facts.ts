// What the config cross-checks need from a log that the report does not keep: the port the app
// says it listens on, the kamal command line (for its -c/-d), and the times of the boot — the
// app's own timestamps in the container log Kamal prints on a failed boot (`docker logs
// --timestamps`), else the runner's timestamps. Fed the same chunks as the analysis, in bounded
// memory (the last partial line, a few lines).

export interface LogLine {
  /** 1-based line in its source. */
  line: number;
  source: string;
  text: string;
}

export interface ListenLine extends LogLine {
  port: number;
  /** When the app said it (ms): by its own clock, else the runner's. */
  at: number | null;
  clock: "app" | "runner" | null;
}

/** A line and when it was written (ms since the epoch). */
export interface TimedLine extends LogLine {
  at: number;
}

export interface BootTimes {
  /** Which clock the times are on: the app's own (`docker logs --timestamps`) or the runner's. */
  clock: "app" | "runner";
  /** When the boot began: the app's first line, or the runner's `docker run` of the new container. */
  start: TimedLine;
  /** The app's last line in the container log (its clock only). */
  last: TimedLine | null;
  /** The app printed its first line again: it restarted (crashed), it was not slow. */
  restarted: boolean;
}

export interface LogFacts {
  listening: ListenLine[];
  /** The first `kamal <command> …` line, e.g. `kamal deploy -c vmkit-deploy.yml -d staging`. */
  kamalCommand: string | null;
  /** The times of the first boot the log shows; null without timestamps. */
  boot: BootTimes | null;
  /** The deploy timeout kamal-proxy was given (`--deploy-timeout="30s"`), in seconds. */
  deployTimeout: number | null;
}

// Puma, Rails, Thruster, Node/Express, Gunicorn, Uvicorn, Go, Phoenix, Next.js: each announces
// where it listens in its own words. A port of 0 or a unix socket is no port.
const LISTEN = [
  /Listening on (?:https?|tcp|ssl):\/\/[^\s:]*:(\d{2,5})\b/i, // Puma, Rails
  /Listening at: https?:\/\/[^\s:]*:(\d{2,5})\b/, // Gunicorn
  /Uvicorn running on https?:\/\/[^\s:]*:(\d{2,5})\b/,
  /"msg":"Server started".*"http":"[^"]*:(\d{2,5})"/, // Thruster
  /\b(?:listening|server (?:is )?(?:running|started|listening)) (?:on|at) (?:port )?(?:https?:\/\/)?(?:[\w.[\]-]*:)?(\d{2,5})\b/i, // Node, Go, …
  /Running \S+ with \S+ at [\d.:]+:(\d{2,5}) \(http\)/, // Phoenix
];
const RUNNER_TIME = /^\uFEFF?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /;
// A container log line of `docker logs --timestamps`, as Kamal prints it (the first after ` ERROR `).
const APP_TIME = /^(?:\s*(?:ERROR|INFO|WARN|DEBUG)\s+)?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) ?(.*)$/;
const CONTAINER_LOGS = /\bdocker logs --timestamps\b/;
const DOCKER_RUN = /Running docker run --detach\b/;
const PROXY_DEPLOY = /kamal-proxy deploy \S+.*--deploy-timeout="?(\d+)s"?/;
// The health check gave up: what follows is the aftermath (the dumped logs, the error), not the boot.
const GAVE_UP = /Failed to boot|container is unhealthy|target failed to become healthy|container not ready after/;
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const KAMAL_COMMAND = /(?:^|[\s$>])((?:bundle exec |bin\/)?kamal (?:deploy|setup|redeploy|rollback|app boot)\b[^\n]*)/;
/**
 * Every line a pattern above can match outside the container log holds one of these words (the
 * `Running` of the commands, the app's listening line, the health check giving up). Each pattern
 * that needs `running` has a space and more after it, or a colour code: the `running` of a
 * status column (`docker ps`, `kamal-proxy list`), padded with spaces or last on its line, is
 * no gate.
 */
const GATE = /listening|server|running(?: [^\s]|\x1b)|kamal |healthy|failed to boot|not ready/gi;
/**
 * What a gated line (outside the container log) must hold, its colour codes removed, for `observe`
 * to change anything but the line count: a piece of CONTAINER_LOGS, GAVE_UP, PROXY_DEPLOY,
 * DOCKER_RUN, KAMAL_COMMAND or a LISTEN pattern, case-folded (a superset). Most GATE hits are
 * `running` in `docker ps`-style output, which holds none of them.
 */
const NEEDED = /docker logs --timestamps|failed to boot|unhealthy|become healthy|not ready after|kamal-proxy deploy|running docker run --detach|kamal |listening|uvicorn running on|server|running \S+ with /i;
const MAX_LISTEN = 8;
const MAX_PARTIAL = 8192;

/** ms since the epoch; fractions past milliseconds are dropped (Date parses three digits). */
function parseTime(stamp: string): number | null {
  const ms = Date.parse(stamp.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(ms) ? null : ms;
}

export class LogFactsCollector {
  /** `{ gate: false }` looks at every line: the reference the gated scan is tested against. */
  constructor(private readonly options: { gate?: boolean } = {}) {}

  private readonly listening: ListenLine[] = [];
  private kamalCommand: string | null = null;
  private partial = "";
  private line = 0;
  private source = "";
  /** Null until the source's first non-empty line says whether the runner stamps lines. */
  private runnerStamped: boolean | null = null;
  private deployTimeout: number | null = null;
  private runnerStart: TimedLine | null = null;
  private gaveUp = false;
  /**
   * Where the line is relative to the container log Kamal prints: before its command, between the
   * command and its first line ("await": the command's own Finished line), in it, or after it.
   * Only the first one counts.
   */
  private dump: "before" | "await" | "in" | "after" = "before";
  private appFirst: TimedLine | null = null;
  private appLast: TimedLine | null = null;
  private restarted = false;

  beginSource(name: string): void {
    this.source = name;
    this.line = 0;
    this.partial = "";
    this.runnerStamped = null;
    if (this.dump === "in" || this.dump === "await") this.dump = "after";
  }

  push(chunk: string): void {
    // Once every fact is in, nothing later can change them.
    if (this.options.gate !== false && this.settled()) return;
    const text = this.partial + chunk;
    const end = text.lastIndexOf("\n");
    if (end !== -1) this.scan(text, end);
    this.partial = text.slice(end + 1).slice(-MAX_PARTIAL);
  }

  private settled(): boolean {
    return this.kamalCommand !== null && this.listening.length >= MAX_LISTEN && this.deployTimeout !== null && this.dump === "after";
  }

  /**
   * Every line is looked at while it can move the boot's timeline (until the source's first line
   * says whether the runner stamps lines, and inside the container log Kamal prints); elsewhere
   * only lines that hold a gate word are (one search over the chunk), the others are only counted.
   */
  private everyLine(): boolean {
    return this.options.gate === false || this.runnerStamped === null || this.dump === "await" || this.dump === "in";
  }

  /** Observes the lines of `text` up to the line end at `end`. */
  private scan(text: string, end: number): void {
    const gate = GATE;
    let start = 0;
    while (start <= end) {
      let lineEnd = text.indexOf("\n", start);
      if (!this.everyLine()) {
        gate.lastIndex = start;
        const hit = gate.exec(text);
        if (hit === null || hit.index >= end) {
          for (; lineEnd !== -1 && lineEnd <= end; lineEnd = text.indexOf("\n", lineEnd + 1)) this.line++;
          return;
        }
        while (lineEnd < hit.index) {
          this.line++;
          start = lineEnd + 1;
          lineEnd = text.indexOf("\n", start);
        }
      }
      this.observe(text.slice(start, lineEnd), !this.everyLine());
      start = lineEnd + 1;
    }
  }

  endSource(): void {
    if (this.partial) this.observe(this.partial);
    this.partial = "";
  }

  facts(): LogFacts {
    const boot: BootTimes | null = this.appFirst
      ? { clock: "app", start: this.appFirst, last: this.appLast, restarted: this.restarted }
      : this.runnerStart
        ? { clock: "runner", start: this.runnerStart, last: null, restarted: false }
        : null;
    return { listening: [...this.listening], kamalCommand: this.kamalCommand, boot, deployTimeout: this.deployTimeout };
  }

  /** `gated`: the line was picked by GATE, outside the container log (see NEEDED). */
  private observe(raw: string, gated = false): void {
    this.line++;
    if (raw.length > 2000) return;
    // Most gated lines hold none of NEEDED: that is known before the line is taken apart (the
    // runner's stamp, a BOM or a CR left on it only add text, so they cannot hide a match).
    if (gated && !NEEDED.test(raw.includes("\x1b") ? raw.replace(ANSI, "") : raw)) return;
    let line = raw.replace(/\r$/, "");
    if (this.runnerStamped === null && line.replace(/^\uFEFF/, "").trim() !== "") this.runnerStamped = RUNNER_TIME.test(line);
    // The runner's time is parsed only for the few lines that use it (a boot's start, a listening line).
    let runnerStamp: string | null = null;
    if (this.runnerStamped) {
      const stamp = RUNNER_TIME.exec(line);
      if (stamp?.[1]) {
        runnerStamp = stamp[1];
        line = line.slice(stamp[0].length);
      }
    }
    line = line.replace(/^\uFEFF/, "").replace(ANSI, "");
    const appAt = this.timeline(line, runnerStamp);
    if (this.kamalCommand === null) {
      const command = KAMAL_COMMAND.exec(line);
      if (command?.[1] && !/Running|INFO|DEBUG/.test(line.slice(0, command.index))) this.kamalCommand = command[1].trim();
    }
    if (this.listening.length >= MAX_LISTEN) return;
    for (const pattern of LISTEN) {
      const match = pattern.exec(line);
      const port = match?.[1] ? Number(match[1]) : 0;
      if (port > 0 && port < 65536) {
        // A runner's time is the boot's only while the boot runs, not when Kamal prints the logs afterwards.
        const runnerAt = runnerStamp === null ? null : parseTime(runnerStamp);
        const runner = runnerAt !== null && !this.gaveUp && this.dump === "before" ? runnerAt : null;
        const at = appAt ?? runner;
        this.listening.push({ port, line: this.line, source: this.source, text: (APP_TIME.exec(line)?.[2] ?? line).trim(), at, clock: appAt !== null ? "app" : runner !== null ? "runner" : null });
        return;
      }
    }
  }

  /** Follows the boot's times; returns the app's own time of this line, if it has one. */
  private timeline(line: string, runnerStamp: string | null): number | null {
    if (this.dump === "in" || this.dump === "await") {
      const app = APP_TIME.exec(line);
      const at = app?.[1] ? parseTime(app[1]) : null;
      if (at === null) {
        // Every line of `docker logs --timestamps` is stamped: an unstamped one ends it.
        if (this.dump === "in" || / Running /.test(line)) this.dump = "after";
        return null;
      }
      this.dump = "in";
      const text = (app?.[2] ?? "").trim();
      const timed = { line: this.line, source: this.source, text, at };
      if (!this.appFirst) this.appFirst = timed;
      else if (text === this.appFirst.text) this.restarted = true;
      this.appLast = timed;
      return at;
    }
    if (this.dump === "before" && CONTAINER_LOGS.test(line)) this.dump = "await";
    if (GAVE_UP.test(line)) this.gaveUp = true;
    if (this.deployTimeout === null) {
      const timeout = PROXY_DEPLOY.exec(line);
      if (timeout?.[1]) this.deployTimeout = Number(timeout[1]);
    }
    if (runnerStamp !== null && !this.runnerStart && DOCKER_RUN.test(line)) {
      const runnerAt = parseTime(runnerStamp);
      if (runnerAt !== null) this.runnerStart = { line: this.line, source: this.source, text: line.trim(), at: runnerAt };
    }
    return null;
  }
}

export function collectLogFacts(name: string, text: string): LogFacts {
  const collector = new LogFactsCollector();
  collector.beginSource(name);
  collector.push(text);
  collector.endSource();
  return collector.facts();
}
