// The GitHub adapter, loaded on demand (dynamic import) by the commands that talk to GitHub.
export { createGitHubClient, GitHubError, toGitHubError, tokenFromEnv, type GitHubClient, type GitHubClientOptions, type GitHubErrorKind, type TokenInfo } from "./client.js";
export { apiFromWeb, parseRemote, parseTargetArg, resolveRepository, resolveTarget, TargetError, webFromApi, GITHUB_API, GITHUB_WEB, type ParsedTarget, type RepoTarget, type ResolveOptions, type RunTarget } from "./target.js";
export { FAILED_CONCLUSIONS, getJob, getRun, isFailed, jobRef, jobUrl, listJobs, selectJobs, type JobSelection, type WorkflowJob, type WorkflowRun, type WorkflowStep } from "./runs.js";
export { fetchRunLogs, saveName, type FetchRunLogsOptions, type JobLogSource, type ProgressEvent, type RunLogs } from "./logs.js";
export { matchJobEntry, sanitizeJobName } from "./run-zip.js";
export { attributeReport, deepLink, StepSegmenter, type AttributedSource, type StepSegment, type StepStart } from "./attribution.js";
export { describeUnreadable, diagnoseRun, type DiagnoseRunOptions, type RunDiagnosis, type UnreadableLog } from "./diagnose.js";
export { cancelledLock, doctorLock, findHolderRun } from "./lock.js";
export { contentsReader } from "./contents.js";
