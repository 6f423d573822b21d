// The repository's files at a commit, through the contents API (GET /repos/{o}/{r}/contents/{path}
// ?ref=SHA), as a FileReader: the config reader reads a run's deploy.yml, destination file,
// secrets names, Gemfile.lock and Dockerfile from the commit the run deployed, exactly as it
// reads them from disk. A file that is not there (404, a directory) is absent; any other answer
// is a ConfigReadError, one line, which the caller turns into a note.

import { ConfigReadError, type FileReader } from "../config/load.js";
import { GitHubError, type GitHubClient } from "./client.js";
import type { RunTarget } from "./target.js";

interface ContentsFile {
  type?: string;
  encoding?: string;
  content?: string;
}

export function contentsReader(client: GitHubClient, target: Pick<RunTarget, "owner" | "repo">, ref: string): FileReader {
  // The same file is asked for more than once (is there a config at all, then the config).
  const cache = new Map<string, Promise<string | null>>();
  const fetchFile = async (file: string): Promise<string | null> => {
    // The caller names the repository and commit once; the file is enough here.
    const what = file;
    let data: unknown;
    try {
      data = (await client.call(what, (o) => o.rest.repos.getContent({ owner: target.owner, repo: target.repo, path: file, ref }), { permission: "contents: read" })).data;
    } catch (error) {
      if (error instanceof GitHubError && error.status === 404) return null;
      if (error instanceof GitHubError) throw new ConfigReadError(error.message);
      throw error;
    }
    // A directory answers with a list, a symlink or submodule with another type: not the file.
    if (Array.isArray(data) || !data || typeof data !== "object") return null;
    const entry = data as ContentsFile;
    if (entry.type !== "file") return null;
    if (entry.encoding !== "base64" || typeof entry.content !== "string") throw new ConfigReadError(`${what}: too large for the contents API (over 1 MB)`);
    return Buffer.from(entry.content, "base64").toString("utf8");
  };
  return {
    read(file) {
      const normal = file.replace(/^\.\//, "");
      let pending = cache.get(normal);
      if (!pending) {
        pending = fetchFile(normal);
        cache.set(normal, pending);
      }
      return pending;
    },
  };
}
