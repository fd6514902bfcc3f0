import * as tf from '@tensorflow/tfjs';
import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { disposeTree, globalNorm, tensorsIn } from '../../lib/internal/tensorMaps.js';
import { adagrad } from '../../lib/optim/adagrad.js';
import { adam } from '../../lib/optim/adam.js';
import { adamw } from '../../lib/optim/adamw.js';
import { addDecayedWeights } from '../../lib/optim/addDecayedWeights.js';
import { chain } from '../../lib/optim/chain.js';
import { clipByGlobalNorm } from '../../lib/optim/clipByGlobalNorm.js';
import { rmsprop } from '../../lib/optim/rmsprop.js';
import { scale } from '../../lib/optim/scale.js';
import { scaleByLearningRate } from '../../lib/optim/scaleByLearningRate.js';
import { sgd } from '../../lib/optim/sgd.js';
import type { GradientTransformation, LearningRate } from '../../lib/optim/types.js';
import type { Params } from '../../lib/params/types.js';
import { expectNoLeaksSync } from '../support/leaks.js';

const RUNS = { numRuns: 30 };

/** Plain data for a map of named tensors: 1–3 parameters of rank 0–3, dimensions 1–3. */
type Spec = ReadonlyArray<{ readonly shape: number[]; readonly values: number[] }>;
const size = (shape: ReadonlyArray<number>) => shape.reduce((a, b) => a * b, 1);
const value = fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true });
const spec = (values = value): fc.Arbitrary<Spec> =>
  fc
    .array(fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }), { minLength: 1, maxLength: 3 })
    .chain((shapes) =>
      fc.tuple(
        ...shapes.map((shape) =>
          fc.array(values, { minLength: size(shape), maxLength: size(shape) }).map((vs) => ({ shape, values: vs })),
        ),
      ),
    );
/** A second map of the same shapes as `s`. */
const like = (s: Spec, values = value): fc.Arbitrary<Spec> =>
  fc.tuple(...s.map(({ shape }) => fc.array(values, { minLength: size(shape), maxLength: size(shape) }).map((vs) => ({ shape, values: vs }))));
const withTwin = (values = value) => spec(values).chain((s) => fc.tuple(fc.constant(s), like(s)));

const build = (s: Spec): Params => Object.fromEntries(s.map(({ shape, values }, i) => [`p${i}`, tf.tensor(values, shape)]));
const read = (m: Params): number[][] => Object.values(m).map((t) => Array.from(t.dataSync()));

/** Runs `steps` updates with the same gradients, returning every update's values; disposes all it made. */
const updatesOf = <S>(t: GradientTransformation<S>, grads: Params, params: Params, steps: number): number[][][] => {
  let state = t.init(params);
  const out: number[][][] = [];
  for (let i = 0; i < steps; i++) {
    const [u, next] = t.update(grads, state, params);
    out.push(read(u));
    disposeTree([u, state]);
    state = next;
  }
  disposeTree(state);
  return out;
};

/** A pool of transforms, for laws that hold whatever is chained. */
const transform = (lr: LearningRate = 0.1): fc.Arbitrary<GradientTransformation<unknown>> =>
  fc.oneof(
    fc.double({ min: -3, max: 3, noNaN: true }).map((a) => scale(a) as GradientTransformation<unknown>),
    fc.double({ min: 0.1, max: 10, noNaN: true }).map((m) => clipByGlobalNorm(m) as GradientTransformation<unknown>),
    fc.constant(sgd({ learningRate: lr, momentum: 0.9 }) as GradientTransformation<unknown>),
    fc.constant(sgd({ learningRate: lr, momentum: 0.5, nesterov: true }) as GradientTransformation<unknown>),
    fc.constant(adam({ learningRate: lr }) as GradientTransformation<unknown>),
    fc.constant(adamw({ learningRate: lr }) as GradientTransformation<unknown>),
    fc.constant(rmsprop({ learningRate: lr, momentum: 0.5, centered: true }) as GradientTransformation<unknown>),
    fc.constant(adagrad({ learningRate: lr }) as GradientTransformation<unknown>),
    fc.constant(addDecayedWeights(0.01) as GradientTransformation<unknown>),
    fc.constant(scaleByLearningRate(lr) as GradientTransformation<unknown>),
  );

describe('laws of the transforms', () => {
  prop.prop([withTwin(), transform(), transform(), transform()], RUNS)(
    'chain is associative: chain(a, chain(b, c)) and chain(chain(a, b), c) give the same updates',
    ([gSpec, pSpec], a, b, c) => {
      expectNoLeaksSync(() => {
        const grads = build(gSpec);
        const params = build(pSpec);
        const left = updatesOf(chain(a, chain(b, c)), grads, params, 3);
        const right = updatesOf(chain(chain(a, b), c), grads, params, 3);
        const flat = updatesOf(chain(a, b, c), grads, params, 3);
        disposeTree([grads, params]);
        expect(left).toEqual(right);
        expect(left).toEqual(flat);
      });
    },
  );

  prop.prop([withTwin(), fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true })], RUNS)(
    'scale(a) then scale(b) equals scale(a·b), to float32 rounding',
    ([gSpec, pSpec], a, b) => {
      expectNoLeaksSync(() => {
        const grads = build(gSpec);
        const params = build(pSpec);
        const [twice] = updatesOf(chain(scale(a), scale(b)), grads, params, 1);
        const [once] = updatesOf(scale(a * b), grads, params, 1);
        disposeTree([grads, params]);
        // Three float32 roundings against two: at most a few parts in 1e7, plus a floor for subnormals.
        twice?.forEach((xs, i) => xs.forEach((x, j) => expect(Math.abs(x - (once?.[i]?.[j] as number))).toBeLessThanOrEqual(1e-6 * Math.abs(once?.[i]?.[j] as number) + 1e-35)));
      });
    },
  );

  prop.prop([withTwin(), fc.double({ min: 0.01, max: 20, noNaN: true })], RUNS)(
    'clipByGlobalNorm(m) gives a norm <= m·(1 + 1e-6) and keeps the direction of its input',
    ([gSpec, pSpec], m) => {
      expectNoLeaksSync(() => {
        const grads = build(gSpec);
        const params = build(pSpec);
        const normIn = tf.tidy(() => globalNorm(grads).dataSync()[0] as number);
        const [out] = updatesOf(clipByGlobalNorm(m), grads, params, 1);
        const input = read(grads);
        disposeTree([grads, params]);
        const flatOut = (out ?? []).flat();
        const flatIn = input.flat();
        const normOut = Math.sqrt(flatOut.reduce((s, x) => s + x * x, 0));
        expect(normOut).toBeLessThanOrEqual(m * (1 + 1e-6));
        if (normIn <= m) {
          expect(flatOut).toEqual(flatIn);
        } else {
          // Same direction: out = c·in for a single c in (0, 1].
          const c = m / (normIn + 1e-6);
          flatOut.forEach((x, i) => expect(Math.abs(x - c * (flatIn[i] as number))).toBeLessThanOrEqual(1e-6 * Math.max(normOut, 1e-30)));
        }
      });
    },
  );

  prop.prop([withTwin(), transform(), fc.integer({ min: 1, max: 3 })], RUNS)(
    'update leaves the values of its inputs (gradients, state, parameters) untouched and alive',
    ([gSpec, pSpec], t, steps) => {
      expectNoLeaksSync(() => {
        const grads = build(gSpec);
        const params = build(pSpec);
        let state = t.init(params);
        for (let i = 0; i < steps; i++) {
          const inputs = tensorsIn([grads, state, params]);
          const before = inputs.map((x) => Array.from(x.dataSync()));
          const [u, next] = t.update(grads, state, params);
          expect(inputs.every((x) => !x.isDisposed)).toBe(true);
          expect(inputs.map((x) => Array.from(x.dataSync()))).toEqual(before);
          // Fresh outputs: nothing returned is one of the inputs.
          expect(tensorsIn([u, next]).some((x) => inputs.includes(x))).toBe(false);
          disposeTree([u, state]);
          state = next;
        }
        disposeTree([grads, params, state]);
      });
    },
  );

  prop.prop([withTwin(), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 9 })], RUNS)(
    'a schedule is called once per update, with the update count and nothing else',
    ([gSpec, pSpec], steps, which) => {
      expectNoLeaksSync(() => {
        const calls: unknown[][] = [];
        const schedule = (...args: unknown[]): number => {
          calls.push(args);
          return 0.01;
        };
        const lr = schedule as (step: number) => number;
        const pool = [
          sgd({ learningRate: lr }),
          sgd({ learningRate: lr, momentum: 0.9 }),
          adam({ learningRate: lr }),
          adamw({ learningRate: lr }),
          rmsprop({ learningRate: lr }),
          adagrad({ learningRate: lr }),
          scaleByLearningRate(lr),
          chain(clipByGlobalNorm(1), adam({ learningRate: lr })),
          chain(scale(2), scaleByLearningRate(lr), scale(0.5)),
          chain(chain(addDecayedWeights(0.1)), sgd({ learningRate: lr, momentum: 0.5, nesterov: true })),
        ] as ReadonlyArray<GradientTransformation<unknown>>;
        const grads = build(gSpec);
        const params = build(pSpec);
        updatesOf(pool[which] as GradientTransformation<unknown>, grads, params, steps);
        disposeTree([grads, params]);
        expect(calls).toEqual(Array.from({ length: steps }, (_, i) => [i]));
      });
    },
  );
});
