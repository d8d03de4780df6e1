import { BenchError } from '../errors.js';
import { rstrip } from '../python-text.js';
import type { StreamSegment } from '../stream.js';
import { LineCursor, readFileLines, readLines } from './line-reader.js';

/**
 * Reads the reference file(s) and the system outputs in lockstep, one segment at a time, and
 * names the file that runs out first.
 */
export function zipSegments(
  refFiles: string[],
  numRefs: number,
  systemFiles: string[] | undefined,
  stdin: NodeJS.ReadableStream,
) {
  let names: string[] = systemFiles ? [...systemFiles] : [];
  async function* iterate(): AsyncGenerator<StreamSegment> {
    const refs = refFiles.map((f) => new LineCursor(readFileLines(f, 'reference')));
    const systems = systemFiles
      ? systemFiles.map((f) => new LineCursor(readFileLines(f, 'system')))
      : [new LineCursor(readLines(stdin as never, 'stdin'))];
    const cursors = [...refs, ...systems];
    const lines: (string | undefined)[] = new Array(cursors.length);
    let line = 0;
    for (;;) {
      line++;
      for (let c = 0; c < cursors.length; c++) {
        const buffered = cursors[c]!.nextBuffered();
        lines[c] = buffered ?? (await cursors[c]!.next());
      }
      const done = lines.map((l) => l === undefined);
      if (done.every(Boolean)) return;
      if (done.some(Boolean)) {
        const labels = [
          ...refFiles.map((f) => `reference ${f}`),
          ...(systemFiles ?? ['stdin']).map((f) => `system ${f}`),
        ];
        const short = labels.filter((_, i) => done[i]);
        const long = labels.filter((_, i) => !done[i]);
        throw new BenchError(
          'length-mismatch',
          `${short.join(', ')} ended after ${line - 1} lines but ${long.join(', ')} has more: every file needs one line per segment.`,
        );
      }
      let references = lines.slice(0, refs.length) as string[];
      if (numRefs > 1) {
        references = references[0]!.split('\t');
        if (references.length !== numRefs)
          throw new BenchError(
            'invalid-input',
            `reference ${refFiles[0]}, line ${line}: expected ${numRefs} tab-separated references but found ${references.length}.`,
          );
      }
      let hypotheses = lines.slice(refs.length) as string[];
      if (!systemFiles) {
        hypotheses = hypotheses[0]!.split('\t').map(rstrip);
        if (line === 1) names = hypotheses.map((_, i) => `System ${i + 1}`);
        else if (hypotheses.length !== names.length)
          throw new BenchError(
            'invalid-input',
            `stdin, line ${line}: ${hypotheses.length} tab-separated systems but line 1 had ${names.length}.`,
          );
      }
      yield { references, hypotheses };
    }
  }
  return { iterate, systemNames: () => names };
}
