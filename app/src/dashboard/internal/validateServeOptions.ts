// serveDashboard's options, checked before anything listens.
import * as E from 'fp-ts/lib/Either.js';
import { ConfigError } from 'gradstream';
import type { ServeDashboardOptions } from '../serveDashboard.js';

const FN = 'serveDashboard';

/** The port (an integer from 0 to 65535, default 0) and host (default 127.0.0.1; `[::1]` means ::1). */
export function validateServeOptions(o: ServeDashboardOptions): E.Either<ConfigError, { port: number; host: string }> {
  const port = o.port ?? 0;
  if (!Number.isInteger(port) || port < 0) return E.left(new ConfigError(FN, 'port', port, 'an integer >= 0'));
  if (port > 65535) return E.left(new ConfigError(FN, 'port', port, 'an integer from 0 to 65535'));
  const host = o.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') return E.left(new ConfigError(FN, 'host', o.host, 'a non-empty host name or address'));
  // An IPv6 address in brackets is how a URL spells it; listen() takes it bare.
  return E.right({ port, host: /^\[[0-9a-fA-F:.]+\]$/.test(host) ? host.slice(1, -1) : host });
}
