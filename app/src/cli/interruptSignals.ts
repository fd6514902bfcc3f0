import { fromEvent, map, merge, take, type Observable } from 'rxjs';

/**
 * The first SIGINT (Ctrl-C) or SIGTERM (`docker stop`, systemd, `kill`) the process receives, as the
 * signal's name; then it completes.
 *
 * Why its listeners go at once: while one is installed, Node does not end the process on that signal.
 * Once the first signal has asked for a clean stop, a second one must end the process at once, as it
 * does without a listener (`take(1)` removes both listeners as it emits).
 *
 * ## Example
 * ```ts
 * train({ ...options, stop: interruptSignals() });
 * ```
 *
 * @returns an Observable of the first signal's name, listening from subscription to that signal
 */
export function interruptSignals(): Observable<NodeJS.Signals> {
  return merge(
    fromEvent(process, 'SIGINT').pipe(map((): NodeJS.Signals => 'SIGINT')),
    fromEvent(process, 'SIGTERM').pipe(map((): NodeJS.Signals => 'SIGTERM')),
  ).pipe(take(1));
}
