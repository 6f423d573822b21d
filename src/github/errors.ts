// What the GitHub adapter throws for the user to act on. Free of dependencies (no Octokit), so
// the CLI's one table from error to exit code can name them without loading the adapter.

export type GitHubErrorKind = "auth" | "permission" | "rate-limit" | "not-found" | "gone" | "in-progress" | "network" | "server" | "invalid";

/** A GitHub or network failure the user can act on; the CLI prints its message and exits 3. */
export class GitHubError extends Error {
  constructor(
    message: string,
    readonly kind: GitHubErrorKind,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

/** A run or repository that cannot be worked out from the arguments: a usage error (exit 2). */
export class TargetError extends Error {}
