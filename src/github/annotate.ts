// Posting a diagnosis back to GitHub from outside the failed run: a completed check run named
// `kamal-doctor` on the run's head commit (summary and annotations, 50 annotations a request,
// the rest appended by updates; found again by its external id, the run's, and updated in place),
// and one sticky comment per pull request of the run — found again by a hidden marker and edited
// in place — or a commit comment when there is no PR.
// Plans are pure (built from a redacted report) so `--dry-run` shows exactly what would be sent.

import type { Octokit } from "@octokit/rest";
import type { Report } from "../core/index.js";
import { annotationsFor, type AnnotationLevel } from "../format/github.js";
import { formatMarkdown, text } from "../format/markdown.js";
import { renderMarker } from "../memory/marker.js";
import { memoryOf } from "../memory/record.js";
import { GitHubError, type GitHubClient } from "./client.js";
import type { UnreadableLog } from "./diagnose.js";
import type { WorkflowRun } from "./runs.js";
import type { RunTarget } from "./target.js";

export const CHECK_NAME = "kamal-doctor";
/** output.summary and output.text: "Only 65535 characters are allowed". */
export const MAX_CHECK_SUMMARY = 65_535;
/** "To create more than 50 annotations, you have to make multiple requests". */
export const ANNOTATIONS_PER_REQUEST = 50;
/** Issue and commit comment bodies: "maximum is 65536 characters"; stay clear of it. */
export const MAX_COMMENT = 60_000;
const MAX_TITLE = 255;

/** The run fields annotate needs (the REST run object has them all). */
export type AnnotatedRun = Pick<WorkflowRun, "id" | "head_sha" | "html_url" | "pull_requests"> & {
  name?: string | null;
  path?: string;
  run_attempt?: number;
};

export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  title: string;
  message: string;
  raw_details?: string;
}

export interface CheckRunPlan {
  name: string;
  head_sha: string;
  conclusion: "failure" | "neutral";
  details_url: string;
  external_id: string;
  title: string;
  summary: string;
  annotations: CheckAnnotation[];
}

const LEVEL: Record<AnnotationLevel, CheckAnnotation["annotation_level"]> = { error: "failure", warning: "warning", notice: "notice" };

/**
 * What the posted report leaves out, first: the jobs whose log could not be read. Without it a
 * reader would take the diagnosis of the other jobs for the whole story.
 */
export function unreadableNotice(unreadable: readonly UnreadableLog[]): string {
  if (unreadable.length === 0) return "";
  const lines = unreadable.map((log) => `> ⚠️ ${log.partial ? "Read in part" : "Not diagnosed"}: ${text(log.message)}`);
  return `${lines.join("\n>\n")}\n\n`;
}

/** The check run for a (redacted) report of a run. */
export interface PlanOptions {
  /**
   * Append the run's memory (the hidden marker later runs read back). Off for what is not a
   * diagnosis of a failure (a cancelled run's lock left held), so history does not count it.
   */
  memory?: boolean;
  /** The destination the run deployed to, when known: recorded in the memory marker. */
  destination?: string | null;
}

export function planCheckRun(report: Report, run: AnnotatedRun, unreadable: readonly UnreadableLog[] = [], options: PlanOptions = {}): CheckRunPlan {
  // Annotations need a file: the workflow file of the run exists at its head commit.
  const path = (run.path ?? "").replace(/@.*$/, "") || ".github";
  const annotations = annotationsFor(report).map((a): CheckAnnotation => {
    const evidence = a.finding?.evidenceLines.map((e) => `${e.line}: ${e.text}`).join("\n") ?? "";
    // A finding the config explains is annotated on its line of deploy.yml (read at this commit).
    const ref = a.finding?.configRef;
    return {
      path: ref ? ref.file : path,
      start_line: ref ? ref.line : 1,
      end_line: ref ? ref.line : 1,
      annotation_level: LEVEL[a.level],
      title: a.title.slice(0, MAX_TITLE),
      message: a.message,
      ...(evidence ? { raw_details: evidence.slice(0, 60_000) } : {}),
    };
  });
  const root = report.findings[0];
  const failed = report.outcome === "failed";
  const what = report.deploy.command ? `kamal ${report.deploy.command}` : "The deploy";
  let title: string;
  const failedDeploys = report.deploys.filter((deploy) => deploy.outcome === "failed").length;
  const more = failedDeploys > 1 ? ` (and ${failedDeploys - 1} more failed deploy${failedDeploys === 2 ? "" : "s"})` : "";
  // A cancelled run that took the lock and never released it: that is the news, not where its log stops.
  if (!failed && report.lock?.state === "left-held") title = `The deploy lock was ${report.lock.summary}`;
  else if (root) title = `${failed ? `${what} failed: ` : ""}${root.title}${more}`;
  else title = failed ? `${what} failed; no rule recognised why` : "No deploy failure found";
  return {
    name: CHECK_NAME,
    head_sha: run.head_sha,
    conclusion: failed ? "failure" : "neutral",
    details_url: run.html_url,
    external_id: String(run.id),
    title: title.slice(0, MAX_TITLE),
    summary: withMemory(withNotice(unreadableNotice(unreadable), report, MAX_CHECK_SUMMARY - MAX_MARKER), report, run, options),
    annotations,
  };
}

export interface CheckRunResult {
  action: "created" | "updated";
  id: number;
  url: string | null;
  requests: number;
}

/** The key an annotation is recognised by when it is already on a check run. */
const annotationKey = (a: { annotation_level?: string | null; title?: string | null; message?: string | null }) => `${a.annotation_level ?? ""}\0${a.title ?? ""}\0${a.message ?? ""}`;

/**
 * Creates the check run completed, with the first 50 annotations, then appends the rest 50 at
 * a time with updates. When the commit already has this run's `kamal-doctor` check run (same
 * external id: annotate ran before), that one is updated instead, and only annotations it does
 * not carry yet are added (GitHub can only append them). A token that may not create check runs
 * gets a message naming `checks: write`.
 */
export async function postCheckRun(client: GitHubClient, target: RunTarget, plan: CheckRunPlan): Promise<CheckRunResult> {
  const output = (annotations: CheckAnnotation[]) => ({ title: plan.title, summary: plan.summary, ...(annotations.length > 0 ? { annotations } : {}) });
  const where = `${target.owner}/${target.repo}`;
  const { owner, repo } = target;
  const existing = await checksCall(client, `check runs of ${plan.head_sha.slice(0, 12)} in ${where}`, (o) =>
    o.paginate(o.rest.checks.listForRef, { owner, repo, ref: plan.head_sha, check_name: plan.name, filter: "all", per_page: 100 }),
  ).then((runs) => runs.find((run) => run.name === plan.name && run.external_id === plan.external_id) ?? null);
  if (existing) {
    const present = await checksCall(client, `annotations of check run ${existing.id} in ${where}`, (o) =>
      o.paginate(o.rest.checks.listAnnotations, { owner, repo, check_run_id: existing.id, per_page: 100 }),
    );
    const known = new Set(present.map(annotationKey));
    const batches = chunk(plan.annotations.filter((a) => !known.has(annotationKey(a))), ANNOTATIONS_PER_REQUEST);
    const what = `updating check run ${existing.id} on ${plan.head_sha.slice(0, 12)} of ${where}`;
    let requests = 0;
    for (const batch of batches.length > 0 ? batches : [[]]) {
      const first = requests === 0;
      await checksCall(client, what, (o) =>
        o.rest.checks.update({
          owner,
          repo,
          check_run_id: existing.id,
          ...(first ? { status: "completed" as const, conclusion: plan.conclusion, completed_at: new Date().toISOString(), details_url: plan.details_url } : {}),
          output: output(batch),
        }),
      );
      requests++;
    }
    return { action: "updated", id: existing.id, url: existing.html_url ?? null, requests };
  }
  const batches = chunk(plan.annotations, ANNOTATIONS_PER_REQUEST);
  const created = await checksCall(client, `creating check run ${plan.name} on ${plan.head_sha.slice(0, 12)} of ${where}`, (o) =>
    o.rest.checks.create({
      owner: target.owner,
      repo: target.repo,
      name: plan.name,
      head_sha: plan.head_sha,
      status: "completed",
      conclusion: plan.conclusion,
      completed_at: new Date().toISOString(),
      details_url: plan.details_url,
      external_id: plan.external_id,
      output: output(batches[0] ?? []),
    }),
  );
  const id = created.data.id;
  let requests = 1;
  for (const batch of batches.slice(1)) {
    await checksCall(client, `adding annotations to check run ${id} of ${where}`, (o) =>
      o.rest.checks.update({ owner: target.owner, repo: target.repo, check_run_id: id, output: output(batch) }),
    );
    requests++;
  }
  return { action: "created", id, url: created.data.html_url ?? null, requests };
}

async function checksCall<T>(client: GitHubClient, what: string, fn: (octokit: Octokit) => Promise<T>): Promise<T> {
  try {
    return await client.call(what, fn, { permission: "checks: write" });
  } catch (error) {
    if (error instanceof GitHubError && (error.status === 403 || error.kind === "permission")) {
      const token = client.tokenSource ? `the token in ${client.tokenSource}` : "no token";
      throw new GitHubError(
        `${what}: ${token} cannot create check runs — it needs the \`checks: write\` permission. Use a workflow's GITHUB_TOKEN with \`permissions: checks: write\`, or a GitHub App token; personal access tokens cannot create check runs.`,
        "permission",
        error.status,
      );
    }
    throw error;
  }
}

export interface CommentPlan {
  /** Where the comment goes: a pull request, or the head commit when the run has none. */
  kind: "pull-request" | "commit";
  /** The PR number, or the commit SHA. */
  target: number | string;
  body: string;
}

/** The hidden marker a comment is found again by: one comment per workflow per PR. */
export function commentMarker(run: AnnotatedRun): string {
  const workflow = (run.path ?? run.name ?? "workflow").replace(/@.*$/, "").replace(/--+|[<>]/g, "-");
  return `<!-- kamal-doctor:annotate workflow=${workflow} -->`;
}

/** The comment body: a line naming the run, the markdown report (fitted), the marker. */
export function commentBody(report: Report, run: AnnotatedRun, unreadable: readonly UnreadableLog[] = [], options: PlanOptions = {}): string {
  const marker = commentMarker(run);
  const intro = `**kamal-doctor** looked at ${runLink(run)}.\n\n${unreadableNotice(unreadable)}`;
  return `${withMemory(withNotice(intro, report, MAX_COMMENT - marker.length - 2 - MAX_MARKER), report, run, options)}\n${marker}\n`;
}

/** Room kept for the memory marker (100 fingerprints at most, base64). */
const MAX_MARKER = 8_000;

/** The text with the run's memory appended (hidden): what later runs read back as this one. */
function withMemory(text: string, report: Report, run: AnnotatedRun, options: PlanOptions = {}): string {
  if (options.memory === false) return `${text.replace(/\n*$/, "")}\n`;
  const destination = options.destination ?? null;
  const marker = renderMarker(memoryOf(report, { id: run.id, attempt: run.run_attempt ?? 1, sha: run.head_sha, destination }));
  return `${text.replace(/\n*$/, "")}\n\n${marker.length <= MAX_MARKER ? marker : ""}\n`;
}

/** `head` and then the report, fitted into `max` characters together. */
function withNotice(head: string, report: Report, max: number): string {
  return `${head}${formatMarkdown(report, { maxLength: max - head.length })}`;
}

/** Marks a comment whose failure a later successful run has resolved. */
export const RESOLVED_MARKER = "<!-- kamal-doctor:resolved -->";

/** What the comment becomes once a later run of the workflow succeeds: the failure is history. */
export function resolvedBody(run: AnnotatedRun): string {
  return `**kamal-doctor**: ✅ ${runLink(run)} succeeded. The deploy failure described here before is resolved.\n${RESOLVED_MARKER}\n${commentMarker(run)}\n`;
}

/** `[Deploy #42, attempt 2](url) on \`0f1e2d3c4b5a\`` */
function runLink(run: AnnotatedRun): string {
  const attempt = run.run_attempt && run.run_attempt > 1 ? `, attempt ${run.run_attempt}` : "";
  return `[${escapeLinkText(run.name ?? "the workflow run")} #${run.id}${attempt}](${run.html_url}) on \`${run.head_sha.slice(0, 12)}\``;
}

function escapeLinkText(text: string): string {
  return text.replace(/[[\]\\<>&@]/g, (c) => `\\${c}`);
}

/** The pull requests of the run (the run's own list, else the PRs whose head is the commit). */
export async function pullRequestsOf(client: GitHubClient, target: RunTarget, run: AnnotatedRun): Promise<number[]> {
  const own = (run.pull_requests ?? []).map((pr) => pr.number);
  if (own.length > 0) return [...new Set(own)];
  // Runs from forks list no PRs; the commit still knows them.
  const response = await client.call(
    `pull requests of ${run.head_sha.slice(0, 12)} in ${target.owner}/${target.repo}`,
    (o) => o.rest.repos.listPullRequestsAssociatedWithCommit({ owner: target.owner, repo: target.repo, commit_sha: run.head_sha, per_page: 100 }),
    { permission: "pull-requests: read" },
  );
  return response.data.filter((pr) => pr.state === "open" && pr.head.sha === run.head_sha).map((pr) => pr.number);
}

export interface ExistingComment {
  id: number;
  url: string | null;
  body: string;
}

/** The comment carrying the marker, on a PR or a commit, or null. */
export async function findComment(client: GitHubClient, target: RunTarget, plan: CommentPlan, marker: string): Promise<ExistingComment | null> {
  const { owner, repo } = target;
  const comments =
    plan.kind === "pull-request"
      ? await client.call(`comments of pull request #${plan.target} in ${owner}/${repo}`, (o) => o.paginate(o.rest.issues.listComments, { owner, repo, issue_number: plan.target as number, per_page: 100 }), {
          permission: "pull-requests: read",
        })
      : await client.call(`comments of commit ${String(plan.target).slice(0, 12)} in ${owner}/${repo}`, (o) => o.paginate(o.rest.repos.listCommentsForCommit, { owner, repo, commit_sha: plan.target as string, per_page: 100 }), {
          permission: "contents: read",
        });
  const found = comments.find((comment) => typeof comment.body === "string" && comment.body.includes(marker));
  return found ? { id: found.id, url: found.html_url ?? null, body: found.body ?? "" } : null;
}

export interface CommentResult {
  action: "created" | "updated";
  id: number;
  url: string | null;
}

/** Creates the comment, or edits the one that carries the marker: never a second one. */
export async function postComment(client: GitHubClient, target: RunTarget, plan: CommentPlan, existing: ExistingComment | null): Promise<CommentResult> {
  const { owner, repo } = target;
  const body = plan.body;
  if (plan.kind === "pull-request") {
    const what = `commenting on pull request #${plan.target} in ${owner}/${repo}`;
    const context = { permission: "pull-requests: write" };
    if (existing) {
      const r = await client.call(what, (o) => o.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body }), context);
      return { action: "updated", id: r.data.id, url: r.data.html_url ?? null };
    }
    const r = await client.call(what, (o) => o.rest.issues.createComment({ owner, repo, issue_number: plan.target as number, body }), context);
    return { action: "created", id: r.data.id, url: r.data.html_url ?? null };
  }
  const what = `commenting on commit ${String(plan.target).slice(0, 12)} in ${owner}/${repo}`;
  const context = { permission: "contents: write" };
  if (existing) {
    const r = await client.call(what, (o) => o.rest.repos.updateCommitComment({ owner, repo, comment_id: existing.id, body }), context);
    return { action: "updated", id: r.data.id, url: r.data.html_url ?? null };
  }
  const r = await client.call(what, (o) => o.rest.repos.createCommitComment({ owner, repo, commit_sha: plan.target as string, body }), context);
  return { action: "created", id: r.data.id, url: r.data.html_url ?? null };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
