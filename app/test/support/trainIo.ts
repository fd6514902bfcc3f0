import { Writable } from 'node:stream';
import { NEVER } from 'rxjs';
import type { TrainIo } from '../../src/cli/runTrain.js';

/** A stream that keeps what is written to it, and calls `onLine` for each non-empty line. */
export function lines(onLine: (line: string) => void = () => undefined): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      chunk.toString().split('\n').filter(Boolean).forEach(onLine);
      done();
    },
  });
  return { stream, text: () => text };
}

/** runTrain's I/O for a test: output to memory, no interrupt, the backend the vitest project has chosen. */
export const testIo = (overrides: Partial<TrainIo> = {}): TrainIo => ({
  stdout: lines().stream,
  stderr: lines().stream,
  interrupt: NEVER,
  selectBackend: async () => undefined,
  ...overrides,
});
