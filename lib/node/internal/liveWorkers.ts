// How many pool workers of this process have started and not yet exited: what the tests count to show
// that completion, error and unsubscribe terminate every worker.
let live = 0;

/** A worker started. */
export function workerStarted(): void {
  live += 1;
}

/** A worker exited. */
export function workerExited(): void {
  live -= 1;
}

/** Workers started and not yet exited. */
export function liveWorkers(): number {
  return live;
}
