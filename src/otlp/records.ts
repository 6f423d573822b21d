// OTLP/JSON logs as Kamal 2.12's `output: otel:` ships them (lib/kamal/otel_shipper.rb): an
// ExportLogsServiceRequest — resourceLogs → scopeLogs → logRecords — whose records are Kamal's
// output lines (body, `server.address`, `log.iostream`, severity) and the events `kamal.start`,
// `kamal.complete` and `kamal.failed` (`exception.type`, `exception.message`, `kamal.runtime`).
// Turned into the lines Kamal prints, so the same rules read them. Pure.

export interface OtlpRecord {
  body: string;
  event: string | null;
  host: string | null;
  severity: string | null;
  runId: string | null;
  /** The destination of the run (the resource's `deployment.environment.name`), if any. */
  destination: string | null;
  attributes: Record<string, string>;
}

type Attr = { key?: unknown; value?: Record<string, unknown> };

function valueOf(value: Record<string, unknown> | undefined): string | null {
  if (!value) return null;
  for (const key of ["stringValue", "intValue", "doubleValue", "boolValue"]) if (value[key] !== undefined && value[key] !== null) return String(value[key]); // eslint-disable-line @typescript-eslint/no-base-to-string -- OTLP AnyValue scalars
  return null;
}

function attributes(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(list)) return out;
  for (const item of list as Attr[]) {
    const value = valueOf(item.value);
    if (typeof item.key === "string" && value !== null) out[item.key] = value;
  }
  return out;
}

/** The records of one request, in order. Throws on a document that is not OTLP/JSON logs. */
export function recordsOf(payload: unknown): OtlpRecord[] {
  const resourceLogs = (payload as { resourceLogs?: unknown } | null)?.resourceLogs;
  if (!Array.isArray(resourceLogs)) throw new Error("not OTLP/JSON logs (no resourceLogs)");
  const out: OtlpRecord[] = [];
  for (const resource of resourceLogs as Array<{ resource?: { attributes?: unknown }; scopeLogs?: unknown }>) {
    const shared = attributes(resource.resource?.attributes);
    const runId = shared["kamal.run_id"] ?? null;
    const destination = shared["deployment.environment.name"] || null;
    for (const scope of Array.isArray(resource.scopeLogs) ? (resource.scopeLogs as Array<{ logRecords?: unknown }>) : []) {
      for (const record of Array.isArray(scope.logRecords) ? (scope.logRecords as Array<Record<string, unknown>>) : []) {
        const attrs = attributes(record["attributes"]);
        const body = valueOf(record["body"] as Record<string, unknown> | undefined) ?? "";
        const event = typeof record["eventName"] === "string" ? record["eventName"] : null;
        const severity = typeof record["severityText"] === "string" ? record["severityText"] : null;
        out.push({ body, event, host: attrs["server.address"] ?? null, severity, runId, destination, attributes: attrs });
      }
    }
  }
  return out;
}

/**
 * The lines Kamal's terminal would have shown: output lines as they are; `kamal.failed` as the
 * final `  ERROR (Class): message` line and `kamal.complete` as `  Finished all in N seconds`;
 * `kamal.start` says nothing.
 */
export function linesOf(record: OtlpRecord): string[] {
  if (record.event === null) return [record.body];
  if (record.event === "kamal.failed") {
    const message = (record.attributes["exception.message"] ?? "").split(/\r?\n/);
    return [`  ERROR (${record.attributes["exception.type"] ?? "Exception"}): ${message[0] ?? ""}`, ...message.slice(1)];
  }
  if (record.event === "kamal.complete") return [`  Finished all in ${Number(record.attributes["kamal.runtime"] ?? 0).toFixed(1)} seconds`];
  return [];
}

/** The lines of some records, with the host each came from (`server.address`), line by line. */
export function linesWithHosts(records: readonly OtlpRecord[]): { lines: string[]; hosts: Array<string | null> } {
  const lines: string[] = [];
  const hosts: Array<string | null> = [];
  for (const record of records) {
    for (const line of linesOf(record)) {
      lines.push(line);
      hosts.push(record.host);
    }
  }
  return { lines, hosts };
}

/** An OTLP/JSON document: one request, or the collector file exporter's one request per line. */
export function parseOtlpText(text: string): OtlpRecord[] {
  const trimmed = text.trim();
  try {
    return recordsOf(JSON.parse(trimmed));
  } catch (error) {
    if (!trimmed.includes("\n")) throw error;
  }
  return trimmed
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "")
    .flatMap((line) => recordsOf(JSON.parse(line)));
}

/** Does a file start like OTLP/JSON logs? */
export function looksLikeOtlp(head: string): boolean {
  return /^\s*\{\s*"resourceLogs"\s*:/.test(head);
}
