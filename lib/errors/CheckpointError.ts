import { GradstreamError } from './GradstreamError.js';

/**
 * A checkpoint cannot be saved or loaded: a file is missing, truncated or altered (its size or SHA-256
 * differs from what `checksums.json` records), a JSON file is garbled, the format version is unknown, or a
 * name is unsafe. A corrupt checkpoint is never loaded in part: no tensor is made before every file checks.
 *
 * The message names the checkpoint, the file and what is wrong, for example
 * `checkpoint 'step-000000012-000000000384', file 'weights.bin': 1024 bytes, but checksums.json records 4096 (truncated or extended)`.
 *
 * ## Example
 * ```ts
 * try {
 *   await loadCheckpoint(storage, { name: 'step-000000012-000000000384', fingerprint });
 * } catch (e) {
 *   if (e instanceof CheckpointError) console.log(e.checkpoint, e.file, e.problem);
 * }
 * ```
 */
export class CheckpointError extends GradstreamError {
  /** The checkpoint's name (`''` when the error concerns the storage as a whole). */
  readonly checkpoint: string;
  /** The file that is wrong, e.g. `weights.bin` (`''` when no single file is). */
  readonly file: string;
  /** What is wrong, in words. */
  readonly problem: string;

  /**
   * @param checkpoint the checkpoint's name
   * @param file the file concerned
   * @param problem what is wrong
   * @param input the offending value (a size, a hash, a version, a name)
   */
  constructor(checkpoint: string, file: string, problem: string, input?: unknown) {
    const where = [checkpoint === '' ? '' : `checkpoint '${checkpoint}'`, file === '' ? '' : `file '${file}'`].filter((s) => s !== '');
    super(`${where.length === 0 ? 'checkpoint' : where.join(', ')}: ${problem}`, input);
    this.checkpoint = checkpoint;
    this.file = file;
    this.problem = problem;
  }
}
