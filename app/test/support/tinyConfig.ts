import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../src/cli/types.js';

/**
 * A train command small enough for a test: the MLP on 64 digits, 2 epochs of micro-batches of 16 accumulated
 * by 2, on the vitest project's backend, writing into `out`; `overrides` change any field.
 */
export const tinyConfig = (out: string, overrides: Partial<TrainConfig> = {}): TrainConfig => ({
  command: 'train',
  model: 'mlp',
  microBatch: 16,
  accumulate: 2,
  optimizer: 'adam',
  learningRate: 0.01,
  warmup: 2,
  clip: 1,
  epochs: 2,
  backend: tf.getBackend() as TrainConfig['backend'],
  workers: 0,
  seed: 5,
  trainSize: 64,
  testSize: 32,
  out,
  quiet: false,
  dashboard: false,
  port: 6006,
  host: '127.0.0.1',
  checkpointEvery: 'epoch',
  checkpointDir: join(out, 'checkpoints'),
  resume: null,
  ...overrides,
});
