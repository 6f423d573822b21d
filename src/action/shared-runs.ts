// A run's diagnosis shared by every command of one process: the Action renders the JSON outputs,
// the annotations and the check run / comment of one run with `run` and `annotate` in-process,
// and this keeps its logs downloaded once. The first call with a target and job selection
// fetches; the later ones get the same result (its logs are already disposed: only the report,
// the run and the notes are read again).
import type { RunTarget } from "../github/index.js";

type GitHubModule = typeof import("../github/index.js");
type DiagnoseRun = GitHubModule["diagnoseRun"];
type Options = Parameters<DiagnoseRun>[2];

export class SharedRuns {
  private readonly diagnoses = new Map<string, ReturnType<DiagnoseRun>>();

  /** The GitHub adapter with `diagnoseRun` answered from this process's earlier calls. */
  share(gh: GitHubModule): GitHubModule {
    const diagnoseRun: DiagnoseRun = (client, target, options) => {
      const key = keyOf(target, options);
      let diagnosis = this.diagnoses.get(key);
      if (!diagnosis) {
        diagnosis = gh.diagnoseRun(client, target, options);
        this.diagnoses.set(key, diagnosis);
      }
      return diagnosis;
    };
    return { ...gh, diagnoseRun };
  }
}

function keyOf(target: RunTarget, options: Options): string {
  return JSON.stringify([
    target.apiUrl,
    target.owner,
    target.repo,
    target.runId,
    target.attempt,
    target.jobId,
    options.job ?? null,
    options.allJobs === true,
    options.saveDir ?? null,
    options.rules.map((compiled) => compiled.rule.id),
  ]);
}
