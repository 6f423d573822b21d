// A model of how the Actions runner reads a step's output (actions/runner ActionCommand.cs,
// ActionCommandManager.cs): lines split on LF, CRLF and lone CR; `::name k=v,k=v::data` after
// trimming, the legacy `##[name k=v;k=v]data` anywhere in a line; `::stop-commands::TOKEN`
// suspends processing until a line `::TOKEN::`. It is stricter than the runner — every name
// counts as a command, registered or not — so "nothing executed" here means nothing there.

export interface ExecutedCommand {
  name: string;
  properties: Record<string, string>;
  data: string;
  legacy: boolean;
}

/** The runner's unescaping, in its mapping order: CR, LF, then `%`. */
export function unescapeData(value: string): string {
  return value.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
}

export function unescapeProperty(value: string): string {
  return value.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%3A/g, ":").replace(/%2C/g, ",").replace(/%25/g, "%");
}

export function runnerCommands(output: string): ExecutedCommand[] {
  const executed: ExecutedCommand[] = [];
  let stopToken: string | null = null;
  for (const raw of output.split(/\r\n|\r|\n/)) {
    const line = raw.trimStart();
    if (stopToken !== null) {
      if (line.trimEnd() === `::${stopToken}::`) stopToken = null;
      continue;
    }
    if (line.startsWith("::")) {
      const end = line.indexOf("::", 2);
      if (end > 2) {
        const info = line.slice(2, end);
        const space = info.indexOf(" ");
        const name = space === -1 ? info : info.slice(0, space);
        const properties: Record<string, string> = {};
        if (space !== -1) {
          for (const pair of info.slice(space + 1).split(",")) {
            const eq = pair.indexOf("=");
            if (eq > 0) properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
          }
        }
        const data = unescapeData(line.slice(end + 2));
        executed.push({ name, properties, data, legacy: false });
        if (name.toLowerCase() === "stop-commands") stopToken = data;
        continue;
      }
    }
    const legacyAt = raw.indexOf("##[");
    if (legacyAt !== -1) {
      const close = raw.indexOf("]", legacyAt);
      if (close !== -1) {
        const info = raw.slice(legacyAt + 3, close);
        const name = info.split(" ")[0] ?? "";
        executed.push({ name, properties: {}, data: raw.slice(close + 1), legacy: true });
      }
    }
  }
  return executed;
}
