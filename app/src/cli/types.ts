import type { OptimizerName } from 'gradstream';
/** The models the `gradstream` command can train. */
export type ModelName = 'mlp' | 'cnn';
/** The backends the `gradstream` command can run on. */
export type BackendName = 'wasm' | 'cpu';

/** The checked configuration of `gradstream train`: plain data, recorded whole in `summary.json`. */
export interface TrainConfig {
  readonly command: 'train';
  /** `mlp` (784-128-10) or `cnn` (a small conv net). */
  readonly model: ModelName;
  /** Examples per micro-batch. */
  readonly microBatch: number;
  /** Micro-batches accumulated per update (the global batch is `microBatch × accumulate`). */
  readonly accumulate: number;
  readonly optimizer: OptimizerName;
  /** Peak learning rate. */
  readonly learningRate: number;
  /** Updates of linear warm-up from 0 to `learningRate` (0: none). */
  readonly warmup: number;
  /** Clip the accumulated gradient to this global norm, or `null` for no clipping. */
  readonly clip: number | null;
  readonly epochs: number;
  readonly backend: BackendName;
  /**
   * Worker threads that compute each window's micro-batches beside the main thread: a count, or `'auto'`
   * (one per core but the main thread's). 0 computes them all on the main thread, as without workers;
   * every count gives the same metrics.
   */
  readonly workers: number | 'auto';
  /** Seed of the split, the shuffles and the initial weights. */
  readonly seed: number;
  readonly trainSize: number;
  readonly testSize: number;
  /** The run folder. */
  readonly out: string;
  /** Print nothing but errors. */
  readonly quiet: boolean;
  /** Serve a live dashboard of the run while it trains (and after, until Ctrl-C). */
  readonly dashboard: boolean;
  /** The dashboard's port (0: any free one). */
  readonly port: number;
  /** The interface the dashboard binds. */
  readonly host: string;
  /** Save a checkpoint every this many updates, or once per epoch's worth of updates. */
  readonly checkpointEvery: number | 'epoch';
  /** Where checkpoints go (default `<out>/checkpoints`). */
  readonly checkpointDir: string;
  /** A checkpoint directory to resume from, `'latest'` (the newest valid one in `checkpointDir`), or `null`. */
  readonly resume: string | null;
}

/** The checked configuration of `gradstream dashboard`: run folders to show side by side. */
export interface DashboardConfig {
  readonly command: 'dashboard';
  /** The run folders, as given. */
  readonly runs: ReadonlyArray<string>;
  readonly port: number;
  readonly host: string;
}

/** The checked configuration of `gradstream verify`. */
export interface VerifyConfig {
  readonly command: 'verify';
  readonly model: ModelName;
  readonly microBatch: number;
  readonly accumulate: number;
  readonly backend: BackendName;
  readonly seed: number;
  /** Largest accepted relative difference between the accumulated and the full-batch update, per parameter. */
  readonly tolerance: number;
}

/** The checked configuration of `gradstream verify --model path/to/model.json`: the safety check on a saved model. */
export interface VerifyModelConfig {
  readonly command: 'verify-model';
  /** The saved tfjs Layers model's model.json. */
  readonly modelPath: string;
  /** A JSON file of examples `{ "xs": [...], "ys"?: [...] }`, or undefined for random inputs. */
  readonly data: string | undefined;
  /** Random examples to check with, when there is no data file. */
  readonly examples: number;
  readonly backend: BackendName;
  /** Seed of the random inputs and of the uneven split. */
  readonly seed: number;
  /** Largest relative difference between the accumulated and the full-batch gradient taken as equal. */
  readonly tolerance: number;
}

/** A parsed command: what to run, with its checked configuration. */
export type CliCommand = TrainConfig | VerifyConfig | VerifyModelConfig | DashboardConfig;

/** Help was asked for (`--help`): print `text` to stdout and exit with 0. */
export interface CliHelp {
  readonly kind: 'help';
  readonly text: string;
}
