import { getOrThrow, oneOf } from '../internal/validate.js';
import { adagrad, type AdagradOptions, type AdagradState } from './adagrad.js';
import { adam, type AdamOptions, type AdamState } from './adam.js';
import { adamw, type AdamwOptions } from './adamw.js';
import { rmsprop, type RmspropOptions, type RmspropState } from './rmsprop.js';
import { sgd, type SgdOptions, type SgdState } from './sgd.js';
import type { GradientTransformation } from './types.js';

/** The names {@link optimizerFromName} knows. */
export type OptimizerName = 'sgd' | 'momentum' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';

/** The state of any optimizer {@link optimizerFromName} makes. */
export type OptimizerState = SgdState | AdamState | RmspropState | AdagradState;

/**
 * Every name {@link optimizerFromName} knows, in a stable order: for command lines and forms that offer a
 * choice of optimizer, so that they offer all of them.
 *
 * ## Example
 * ```ts
 * optimizerNames; // ['sgd', 'momentum', 'adam', 'adamw', 'rmsprop', 'adagrad']
 * ```
 */
export const optimizerNames: ReadonlyArray<OptimizerName> = ['sgd', 'momentum', 'adam', 'adamw', 'rmsprop', 'adagrad'];

/**
 * The optimizer called `name`, made with `options`: for command lines and config files, where the
 * optimizer is a string.
 *
 * `sgd`, `adam`, `adamw`, `rmsprop` and `adagrad` take the options of the functions of the same names;
 * `momentum` is {@link sgd} with `momentum` defaulting to 0.9 (as `tf.train.momentum`, which needs one). The
 * options are validated by those functions, which also reject option names they do not take, so that a
 * misspelt flag fails loudly rather than being ignored.
 *
 * ## Example
 * ```ts
 * const opt = optimizerFromName('adam', { learningRate: 1e-3, beta2: 0.99 });
 * optimizerFromName('adma', { learningRate: 1e-3 }); // throws ConfigError: optimizerFromName: name must be one of "sgd", …
 * ```
 *
 * @param name one of `sgd`, `momentum`, `adam`, `adamw`, `rmsprop`, `adagrad`
 * @param options the options of that optimizer (`learningRate` at least)
 * @returns the optimizer, a pure transform
 * @throws ConfigError synchronously for an unknown name or invalid options, naming the field and value
 * @see {@link sgd}, {@link adam}, {@link adamw}, {@link rmsprop}, {@link adagrad}
 */
export function optimizerFromName(
  name: string,
  options: Readonly<Record<string, unknown>>,
): GradientTransformation<OptimizerState> {
  const known = getOrThrow(oneOf('optimizerFromName', 'name', optimizerNames)(name));
  // The constructors validate `options` at run time; the casts only hand them over.
  switch (known) {
    case 'sgd':
      return sgd(options as unknown as SgdOptions);
    case 'momentum':
      return sgd({ ...options, momentum: options['momentum'] ?? 0.9 } as unknown as SgdOptions);
    case 'adam':
      return adam(options as unknown as AdamOptions);
    case 'adamw':
      return adamw(options as unknown as AdamwOptions);
    case 'rmsprop':
      return rmsprop(options as unknown as RmspropOptions);
    case 'adagrad':
      return adagrad(options as unknown as AdagradOptions);
  }
}
