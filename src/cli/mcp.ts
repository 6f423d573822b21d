// `kamal-doctor mcp`: serve the diagnosis to agents over the Model Context Protocol (stdio). The
// SDK loads only here, on demand.

import type { Command } from "commander";
import type { CliIO } from "./io.js";

const MCP_HELP = `
Tools: diagnose_log (text or path), diagnose_run (run/job URL or id; token from GITHUB_TOKEN or
GH_TOKEN), explain_rule (id), list_rules (category). Reports are redacted unless a call asks
otherwise; no tool writes anything. Register it with a client as the command
\`kamal-doctor mcp\` (README "MCP server").`;

export function registerMcp(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command("mcp")
    .description("serve the diagnosis to AI agents: a Model Context Protocol server on stdio")
    .addHelpText("after", MCP_HELP)
    .action(async () => {
      const { serveStdio } = await import("../mcp/server.js");
      await serveStdio(io.env);
      setExit(0);
    });
}
