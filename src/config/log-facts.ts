// What the config cross-checks need from a log that the report does not keep: the port the app
// says it listens on, and the kamal command line (for its -c/-d). Fed the same decoded chunks
// as the analysis, in bounded memory (the last partial line, a few ports).

export interface ListenLine {
  port: number;
  /** 1-based line in its source. */
  line: number;
  source: string;
  text: string;
}

export interface LogFacts {
  listening: ListenLine[];
  /** The first `kamal <command> …` line, e.g. `kamal deploy -c vmkit-deploy.yml -d staging`. */
  kamalCommand: string | null;
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
const KAMAL_COMMAND = /(?:^|[\s$>])((?:bundle exec |bin\/)?kamal (?:deploy|setup|redeploy|rollback|app boot)\b[^\n]*)/;
/**
 * Every line either pattern above can match holds one of these words: only such lines are looked
 * at (one search over each chunk), the others are only counted.
 */
const GATE = /listening|server|running|kamal /gi;
const MAX_LISTEN = 8;
const MAX_PARTIAL = 8192;

export class LogFactsCollector {
  private readonly listening: ListenLine[] = [];
  private kamalCommand: string | null = null;
  private partial = "";
  private line = 0;
  private source = "";

  beginSource(name: string): void {
    this.source = name;
    this.line = 0;
    this.partial = "";
  }

  push(chunk: string): void {
    // Once every fact is in, nothing later can change them.
    if (this.kamalCommand !== null && this.listening.length >= MAX_LISTEN) return;
    const text = this.partial + chunk;
    const end = text.lastIndexOf("\n");
    if (end !== -1) this.scan(text, end);
    this.partial = text.slice(end + 1).slice(-MAX_PARTIAL);
  }

  /** Observes the lines of `text` up to the line end at `end` that hold a gate word; counts the rest. */
  private scan(text: string, end: number): void {
    const gate = GATE;
    gate.lastIndex = 0;
    let start = 0;
    for (let hit = gate.exec(text); hit !== null && hit.index < end; hit = gate.exec(text)) {
      let lineEnd = text.indexOf("\n", start);
      while (lineEnd < hit.index) {
        this.line++;
        start = lineEnd + 1;
        lineEnd = text.indexOf("\n", start);
      }
      this.observe(text.slice(start, lineEnd));
      start = lineEnd + 1;
      gate.lastIndex = start;
    }
    for (let lineEnd = text.indexOf("\n", start); lineEnd !== -1 && lineEnd <= end; lineEnd = text.indexOf("\n", lineEnd + 1)) this.line++;
  }

  endSource(): void {
    if (this.partial) this.observe(this.partial);
    this.partial = "";
  }

  facts(): LogFacts {
    return { listening: [...this.listening], kamalCommand: this.kamalCommand };
  }

  private observe(raw: string): void {
    this.line++;
    if (raw.length > 2000) return;
    const line = raw.replace(/\r$/, "");
    if (this.kamalCommand === null) {
      const command = KAMAL_COMMAND.exec(line);
      if (command?.[1] && !/Running|INFO|DEBUG/.test(line.slice(0, command.index))) this.kamalCommand = command[1].trim();
    }
    if (this.listening.length >= MAX_LISTEN) return;
    for (const pattern of LISTEN) {
      const match = pattern.exec(line);
      const port = match?.[1] ? Number(match[1]) : 0;
      if (port > 0 && port < 65536) {
        this.listening.push({ port, line: this.line, source: this.source, text: line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, "").trim() });
        return;
      }
    }
  }
}

export function collectLogFacts(name: string, text: string): LogFacts {
  const collector = new LogFactsCollector();
  collector.beginSource(name);
  collector.push(text);
  collector.endSource();
  return collector.facts();
}
