// Watching text on its way to the analysis: an observer sees every source's chunks as they
// pass (facts the report does not keep, a hash of the content), in the same single read.

export interface TextObserver {
  beginSource(name: string): void;
  push(chunk: string): void;
  endSource(): void;
}

/** The same sources, each chunk shown to `observer` as it is read. */
export function tapSources<S extends { name: string; text: AsyncIterable<string> }>(sources: Iterable<S> | AsyncIterable<S>, observer: TextObserver): AsyncIterable<S> {
  return (async function* () {
    for await (const source of sources) {
      const text = source.text;
      yield {
        ...source,
        text: (async function* () {
          observer.beginSource(source.name);
          for await (const chunk of text) {
            observer.push(chunk);
            yield chunk;
          }
          observer.endSource();
        })(),
      };
    }
  })();
}
