// A download's body as bytes, shared by the per-job logs and the run's logs archive: a body that
// breaks off is a GitHubError ("network"), and one not read after all is given back.
import { GitHubError } from "./errors.js";

export async function cancelResponse(response: Response): Promise<void> {
  if (response.body && !response.bodyUsed && !response.body.locked) await response.body.cancel().catch(() => {});
}

export async function* webBytes(response: Response, what: string): AsyncGenerator<Uint8Array> {
  if (!response.body) return;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) yield chunk;
  } catch (error) {
    throw new GitHubError(`${what}: the download broke off (${(error as Error).message})`, "network");
  }
}
