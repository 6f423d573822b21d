// GitHub Actions workflow commands, in one place: the escaping is character for character the
// Actions toolkit's (@actions/core `command.ts`: `escapeData`, `escapeProperty`,
// `toCommandValue`), and `guardForRunner` keeps re-printed log text from being executed — the
// runner acts on `::name::` at the start of any output line (after leading whitespace) and on
// the legacy `##[name]` anywhere in a line, so a log line such as `::add-mask::x` would run.

export type CommandValue = string | number | boolean | null | undefined;

/** The toolkit's `toCommandValue`: null/undefined → "", strings as they are, the rest as JSON. */
export function toCommandValue(value: CommandValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** The message part: `%` first, then CR and LF. */
export function escapeData(value: CommandValue): string {
  return toCommandValue(value).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** A `key=value` property: as data, plus `:` and `,` (the runner splits properties on them). */
export function escapeProperty(value: CommandValue): string {
  return escapeData(value).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/**
 * One command line (without its line end), as the toolkit's `Command.toString()` builds it:
 * properties in the given order, falsy values left out, a space after the name whenever a
 * property object with keys was given.
 */
export function workflowCommand(name: string, properties: Record<string, CommandValue>, message: CommandValue): string {
  let text = `::${name || "missing.command"}`;
  const keys = Object.keys(properties);
  if (keys.length > 0) {
    text += " ";
    let first = true;
    for (const key of keys) {
      const value = properties[key];
      if (!value) continue;
      if (!first) text += ",";
      first = false;
      text += `${key}=${escapeProperty(value)}`;
    }
  }
  return `${text}::${escapeData(message)}`;
}

export interface AnnotationProperties {
  title?: string;
  file?: string;
  startLine?: number;
  endLine?: number;
  startColumn?: number;
  endColumn?: number;
}

/** `::error|warning|notice …::message` with the toolkit's property names and order. */
export function annotationCommand(kind: "error" | "warning" | "notice", message: string, properties: AnnotationProperties = {}): string {
  const props: Record<string, CommandValue> =
    Object.keys(properties).length === 0
      ? {}
      : {
          title: properties.title,
          file: properties.file,
          line: properties.startLine,
          endLine: properties.endLine,
          col: properties.startColumn,
          endColumn: properties.endColumn,
        };
  return workflowCommand(kind, props, message);
}

/**
 * A token the log cannot know in advance: 32 hex digits from the system's CSPRNG (Web Crypto,
 * so node:crypto loads only when a token is made, not at every start).
 */
export function stopToken(random: (bytes: number) => Buffer = (bytes) => Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(bytes)))): string {
  return random(16).toString("hex");
}

/** True when the runner would act on some line of this text (the lines it would split it into). */
export function hasRunnerCommand(text: string): boolean {
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (/^\s*::/.test(line) || line.includes("##[")) return true;
  }
  return false;
}

/**
 * Wraps text that re-prints log lines in `::stop-commands::TOKEN` … `::TOKEN::`, so nothing in
 * it is executed; the token is fresh for every call and never one the text contains.
 */
export function wrapInStopCommands(text: string, token: string = stopToken()): string {
  while (text.includes(token)) token = stopToken();
  const body = text.endsWith("\n") ? text : `${text}\n`;
  return `::stop-commands::${token}\n${body}::${token}::\n`;
}

/**
 * What the CLI prints inside Actions: text with a line the runner would execute is wrapped in
 * stop-commands; text without one goes out as it is (so clean output stays byte-identical).
 */
export function guardForRunner(text: string, token?: string): string {
  return hasRunnerCommand(text) ? wrapInStopCommands(text, token) : text;
}

/**
 * JSON needs no wrapping: every string is quoted, so no line can start with `::`, and the only
 * way in is the legacy `##[` — written `##\u005b`, the same JSON value, it is no longer a command.
 */
export function defangJson(json: string): string {
  return json.replace(/##\[/g, "##\\u005b");
}
