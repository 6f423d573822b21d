// `kamal-doctor mcp`: a Model Context Protocol server on stdio, for agents that deploy and repair
// Kamal apps. Tools: diagnose_log, diagnose_run, explain_rule, list_rules. A diagnosis comes back
// as the report of the JSON contract (structured content) and a short text summary (root cause,
// key line, fix). Reports are redacted unless a call says `redact: false`; no tool writes
// anything. Loaded only by this command (the SDK is a chunk of its own).

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";
import { CATEGORIES } from "../vocabulary.js";
import type { JsonReport } from "../format/json.js";
import { diagnose, diagnoseRun, GitHubError, InputError, RuleCompileError, RuleFileError, TargetError } from "../lib.js";
import { builtinRules } from "../rules/builtin.js";
import type { Rule } from "../rules/schema.js";
import { readTemplate } from "../rules/template.js";
import { VERSION } from "../version.js";

type ToolResult = { content: Array<{ type: "text"; text: string }>; structuredContent?: Record<string, unknown>; isError?: boolean };

const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true } as const;

/** The short text of a report: outcome, root cause, key line, fix, link. */
export function summarize(report: JsonReport): string {
  const root = report.findings.find((finding) => finding.rootCause) ?? report.findings[0];
  const where = report.deploy.failedPhase ? ` in ${report.deploy.failedPhase}` : "";
  const lines = [`Outcome: ${report.outcome}${report.outcome === "failed" ? where : ""}`];
  if (root) {
    lines.push(`${root.rootCause ? "Root cause" : "Finding"}: ${root.title} (${root.category}, rule ${root.ruleId})`);
    if (root.evidence[0] !== undefined) lines.push(`Key line: ${root.source}:${root.line}: ${root.evidence[0]}`);
    if (root.remediation[0] !== undefined) lines.push(`Fix: ${root.remediation[0]}`);
    if (root.url) lines.push(`Log: ${root.url}`);
  } else if (report.outcome === "failed") {
    const line = report.unmatched[0];
    lines.push("Root cause: not recognised by any rule");
    if (line) lines.push(`Key line: ${line.source}:${line.line}: ${line.text}`);
  } else if (report.sources.length === 0) lines.push("Nothing to diagnose.");
  // The deploy lock: its state and the first thing to do (never a release while its deploy may run).
  if (report.lock) lines.push(`Deploy lock: ${report.lock.summary}`, `Next: ${report.lock.advice[0] ?? report.lock.commands.status}`);
  return lines.join("\n");
}

function reportResult(report: JsonReport): ToolResult {
  return { content: [{ type: "text", text: summarize(report) }], structuredContent: report };
}

function errorResult(error: unknown): ToolResult {
  const known = [InputError, GitHubError, TargetError, RuleFileError, RuleCompileError].some((type) => error instanceof type);
  if (!known) throw error;
  const message = error instanceof RuleFileError ? error.problems.join("\n") : (error as Error).message;
  return { content: [{ type: "text", text: message }], isError: true };
}

function ruleView(rule: Rule) {
  return {
    id: rule.id,
    title: readTemplate(rule.title),
    category: rule.category,
    severity: rule.severity,
    phase: rule.phase ?? null,
    explanation: readTemplate(rule.explanation.trim().replace(/\s+/g, " ")),
    remediation: rule.remediation.map((step) => readTemplate(typeof step === "string" ? step : `(Kamal ${step.kamal.join(", ")}) ${step.text}`)),
    docs: rule.docs ?? [],
    patterns: rule.match.any,
  };
}

export function createServer(env: Record<string, string | undefined>): McpServer {
  const server = new McpServer({ name: "kamal-doctor", version: VERSION });
  const redactOption = z.boolean().optional().describe("Redact secrets in the report (default true).");

  server.registerTool(
    "diagnose_log",
    {
      title: "Diagnose a Kamal deploy log",
      description: "Diagnose the output of a Kamal deploy (kamal deploy/setup/...): give the log's text, or a path to a log file (.log, .txt, .gz or a GitHub run-logs .zip). Returns the root cause, the evidence lines and the fix.",
      inputSchema: {
        text: z.string().optional().describe("The log's text."),
        path: z.string().optional().describe("A log file on this machine (instead of text)."),
        redact: redactOption,
      },
      annotations: readOnly,
    },
    async ({ text, path, redact }) => {
      if ((text === undefined) === (path === undefined)) return { content: [{ type: "text", text: "give either text or path" }], isError: true };
      try {
        return reportResult(await diagnose(text !== undefined ? { text, name: "log" } : { path: path as string }, { redact: redact !== false }));
      } catch (error) {
        return errorResult(error);
      }
    },
  );

  server.registerTool(
    "diagnose_run",
    {
      title: "Diagnose a GitHub Actions deploy run",
      description:
        "Fetch a GitHub Actions run's logs (the failed jobs of its latest attempt by default) and diagnose the Kamal deploy in them. The token comes from the server's GITHUB_TOKEN or GH_TOKEN (actions: read).",
      inputSchema: {
        run: z.string().describe("A run id, or a run, attempt, job or check URL (github.com or GitHub Enterprise Server)."),
        repo: z.string().optional().describe("OWNER/NAME, when run is a bare id (default: GITHUB_REPOSITORY)."),
        job: z.string().optional().describe("Only this job (id or name)."),
        allJobs: z.boolean().optional().describe("Every finished job, not only the failed ones."),
        attempt: z.number().int().positive().optional(),
        redact: redactOption,
      },
      annotations: { ...readOnly, openWorldHint: true },
    },
    async ({ run, repo, job, allJobs, attempt, redact }) => {
      const token = (env["GITHUB_TOKEN"] ?? "").trim() || (env["GH_TOKEN"] ?? "").trim() || null;
      const notes: string[] = [];
      try {
        const report = await diagnoseRun(run, {
          token,
          env,
          redact: redact !== false,
          onNote: (line) => notes.push(line),
          ...(repo !== undefined ? { repo } : {}),
          ...(job !== undefined ? { job } : {}),
          ...(allJobs !== undefined ? { allJobs } : {}),
          ...(attempt !== undefined ? { attempt } : {}),
        });
        const result = reportResult(report);
        if (notes.length > 0) result.content.push({ type: "text", text: notes.join("\n") });
        return result;
      } catch (error) {
        return errorResult(error);
      }
    },
  );

  server.registerTool(
    "explain_rule",
    {
      title: "Explain a kamal-doctor rule",
      description: "What a rule (a finding's ruleId) recognises, why it happens and how to fix it.",
      inputSchema: { id: z.string().describe("The rule id, e.g. no-space-left.") },
      annotations: readOnly,
    },
    async ({ id }) => {
      const rule = (await builtinRules()).find((candidate) => candidate.id === id);
      if (!rule) return { content: [{ type: "text", text: `no rule with id '${id}' (see list_rules)` }], isError: true };
      const view = ruleView(rule);
      const text = [`${view.id}: ${view.title} (${view.category}, ${view.severity})`, view.explanation, ...view.remediation.map((step) => `Fix: ${step}`)].join("\n");
      return { content: [{ type: "text", text }], structuredContent: view };
    },
  );

  server.registerTool(
    "list_rules",
    {
      title: "List kamal-doctor rules",
      description: "The failures kamal-doctor recognises: id, category, severity and title of each rule.",
      inputSchema: { category: z.enum(CATEGORIES).optional().describe("Only this category.") },
      annotations: readOnly,
    },
    async ({ category }) => {
      const rules = (await builtinRules())
        .filter((rule) => category === undefined || rule.category === category)
        .sort((a, b) => CATEGORIES.indexOf(a.category) - CATEGORIES.indexOf(b.category) || a.id.localeCompare(b.id))
        .map((rule) => ({ id: rule.id, category: rule.category, severity: rule.severity, title: readTemplate(rule.title) }));
      const text = rules.map((rule) => `${rule.id} (${rule.category}, ${rule.severity}): ${rule.title}`).join("\n");
      return { content: [{ type: "text", text: `${rules.length} rules\n${text}` }], structuredContent: { rules } };
    },
  );
  return server;
}

/** Serves on stdin/stdout until the client closes the connection. */
export async function serveStdio(env: Record<string, string | undefined>): Promise<void> {
  const server = createServer(env);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.on("end", () => resolve());
  });
  await server.connect(transport);
  await closed;
}
