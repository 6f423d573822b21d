// `kamal-doctor listen`: a loopback-only OTLP/HTTP receiver (`POST /v1/logs`, OTLP/JSON) that
// Kamal 2.12's `output: otel: endpoint:` can point at. It keeps each Kamal run's lines (by
// `kamal.run_id`) and prints a diagnosis when the run's `kamal.failed` event arrives — one line
// when `kamal.complete` does. Protobuf is not supported (415): Kamal ships JSON.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Command } from "commander";
import { Analysis, configArgs } from "../core/index.js";
import { linesOf, recordsOf, type OtlpRecord } from "../otlp/records.js";
import { VERSION } from "../version.js";
import { CliError, EXIT, type CliIO } from "./io.js";
import { addReportOptions, loadRules, printReport, type ReportOptions } from "./report-options.js";

interface ListenOptions extends ReportOptions {
  port: number;
  host: string;
  once?: boolean;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);
const MAX_BODY = 16 * 1024 * 1024;
/** Lines kept per run before the oldest go: a run's diagnosis needs its end, not every pull line. */
const MAX_RUN_LINES = 200_000;
const MAX_RUNS = 16;

const LISTEN_HELP = `
Point Kamal at it (config/deploy.yml, Kamal >= 2.12):
  output:
    otel:
      endpoint: http://127.0.0.1:4318
It only listens on the loopback interface. Stop it with Ctrl-C; --once stops after the first
finished run (exit code as for a log: 1 when a failure is diagnosed, 0 when the run completed).`;

export function registerListen(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const command = program
    .command("listen")
    .description("receive Kamal's OTLP/HTTP logs (output: otel:) on 127.0.0.1 and diagnose each failed run as it ends")
    .option("--port <port>", "the port (0: any free one)", (value) => port(value), 4318)
    .option("--host <host>", "the loopback address to bind: 127.0.0.1, ::1 or localhost", "127.0.0.1")
    .option("--once", "stop after the first run that completes or fails")
    .addHelpText("after", LISTEN_HELP);
  addReportOptions(command).action(async (options: ListenOptions) => {
    if (!LOOPBACK.has(options.host)) throw new CliError(`listen: --host must be a loopback address (127.0.0.1, ::1, localhost), not ${options.host}`, EXIT.USAGE);
    const rules = await loadRules(options.rules);
    /** Each run's lines so far, with the host of each (its record's `server.address`). */
    const runs = new Map<string, { lines: string[]; hosts: Array<string | null> }>();
    let finish: (code: number) => void = () => {};
    const done = new Promise<number>((resolve) => (finish = resolve));

    const ended = (runId: string, record: OtlpRecord) => {
      const { lines, hosts } = runs.get(runId) ?? { lines: [], hosts: [] };
      for (const line of linesOf(record)) {
        lines.push(line);
        hosts.push(record.host);
      }
      runs.delete(runId);
      const command = record.attributes["kamal.command"] ?? null;
      if (record.event === "kamal.complete") {
        io.stderr.write(`kamal-doctor: kamal ${command ?? "command"} completed in ${record.attributes["kamal.runtime"] ?? "?"}s\n`);
        return EXIT.OK;
      }
      const analysis = new Analysis({ rules, toolVersion: VERSION, exitCode: 1, command: command?.split(" ")[0] ?? null, destination: record.destination ?? (command ? configArgs(command).destination : null) });
      analysis.beginSource({ name: `kamal ${command ?? "run"} (otel ${runId.slice(0, 8)})`, lineHosts: (line) => hosts[line - 1] ?? null });
      for (const line of lines) analysis.line(line);
      printReport(analysis.finish(), options, io);
      return EXIT.FAILURE;
    };

    const receive = (records: OtlpRecord[]) => {
      for (const record of records) {
        const runId = record.runId ?? "unknown";
        if (record.event === "kamal.failed" || record.event === "kamal.complete") {
          const code = ended(runId, record);
          setExit(code);
          if (options.once) finish(code);
          continue;
        }
        let kept = runs.get(runId);
        if (!kept) {
          if (runs.size >= MAX_RUNS) runs.delete(runs.keys().next().value as string);
          kept = { lines: [], hosts: [] };
          runs.set(runId, kept);
        }
        for (const line of linesOf(record)) {
          kept.lines.push(line);
          kept.hosts.push(record.host);
        }
        if (kept.lines.length > MAX_RUN_LINES) {
          kept.lines.splice(0, kept.lines.length - MAX_RUN_LINES);
          kept.hosts.splice(0, kept.hosts.length - MAX_RUN_LINES);
        }
      }
    };

    // node:http loads only for this command: every other run starts without it.
    const { createServer } = await import("node:http");
    const server = createServer((req, res) => {
      handle(req, res, receive).catch(() => reply(res, 500, { message: "internal error" }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) => reject(new CliError(`listen: cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`, EXIT.USAGE)));
      server.listen(options.port, options.host, () => resolve());
    });
    const address = server.address();
    const shownPort = typeof address === "object" && address ? address.port : options.port;
    const shownHost = options.host.includes(":") ? `[${options.host}]` : options.host;
    io.stderr.write(`kamal-doctor: listening on http://${shownHost}:${shownPort}/v1/logs (output: otel: endpoint: http://${shownHost}:${shownPort})\n`);
    const stop = () => finish(EXIT.OK);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const code = await done;
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    setExit(code);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, receive: (records: OtlpRecord[]) => void): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (path !== "/v1/logs") return reply(res, 404, { message: "only /v1/logs (OTLP logs) is served" });
  if (req.method !== "POST") return reply(res, 405, { message: "POST OTLP/JSON logs to /v1/logs" });
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") return reply(res, 415, { message: "only OTLP/JSON (application/json) is supported, not protobuf" });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return reply(res, 413, { message: "request over 16 MiB" });
    chunks.push(chunk);
  }
  let records: OtlpRecord[];
  try {
    records = recordsOf(JSON.parse(Buffer.concat(chunks).toString("utf8")));
  } catch (error) {
    return reply(res, 400, { message: `not OTLP/JSON logs: ${(error as Error).message}` });
  }
  // Answer first: Kamal waits for the response only 5 s.
  reply(res, 200, {});
  receive(records);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new CliError(`--port: expected 0–65535, got ${JSON.stringify(value)}`, EXIT.USAGE);
  return n;
}
