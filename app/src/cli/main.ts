#!/usr/bin/env node
// The `gradstream` executable: parse, dispatch, exit. Everything it does lives in the app's functions.
import * as E from 'fp-ts/lib/Either.js';
import { CliError } from './CliError.js';
import { parseCommandLine } from './parseCommandLine.js';
import { runDashboard } from './runDashboard.js';
import { runTrain } from './runTrain.js';
import { runVerify } from './runVerify.js';
import { runVerifyModel } from './runVerifyModel.js';

const parsed = parseCommandLine(process.argv.slice(2));
if (E.isLeft(parsed)) {
  const stop = parsed.left;
  if (stop instanceof CliError) {
    process.stderr.write(`${stop.message}\n`);
    process.exitCode = stop.exitCode;
  } else {
    process.stdout.write(stop.text);
  }
} else if (parsed.right.command === 'train') {
  process.exitCode = await runTrain(parsed.right);
} else if (parsed.right.command === 'verify-model') {
  process.exitCode = await runVerifyModel(parsed.right);
} else if (parsed.right.command === 'verify') {
  process.exitCode = await runVerify(parsed.right);
} else {
  process.exitCode = await runDashboard(parsed.right);
}
