// Which addresses and Host headers are this machine's own: the DNS-rebinding check of the dashboard.
import { isIPv4, isIPv6 } from 'node:net';

/** An IPv4 address in 127.0.0.0/8, in the dotted form the OS and the URL parser give. */
const isLoopbackV4 = (address: string): boolean => isIPv4(address) && address.split('.')[0] === '127';

/**
 * The address a server is bound to, as `server.address()` reports it (the OS's canonical spelling,
 * whatever `--host` said: `127.1`, `0177.0.0.1` and `localhost` all bind 127.0.0.1; `0:0:0:0:0:0:0:1`
 * binds ::1), is a loopback one: 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6.
 */
export function isLoopbackAddress(address: string): boolean {
  if (isLoopbackV4(address)) return true;
  if (!isIPv6(address)) return false;
  // The URL parser writes every IPv6 spelling one way: [::1], and a mapped v4 address as [::ffff:7f00:1].
  const canonical = new URL(`http://[${address}]/`).hostname;
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

/**
 * A request's `Host` header names this machine: `localhost` (or a name under `.localhost`, which
 * browsers resolve to loopback themselves, never through DNS), or a loopback address in any spelling
 * the URL parser accepts (`127.1`, `0x7f.0.0.1`, `2130706433`, `[0:0:0:0:0:0:0:1]`, `[::ffff:127.0.0.1]`).
 * A page of another site that points its name at 127.0.0.1 (DNS rebinding) sends its own name: refused.
 * A missing or unparseable header is refused too.
 */
export function isLoopbackHost(header: string | undefined): boolean {
  if (header === undefined || header === '') return false;
  let hostname: string;
  try {
    const url = new URL(`http://${header}/`);
    // A header with user info, a path or a query is not a host: refuse it rather than guess.
    if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') return false;
    hostname = url.hostname;
  } catch {
    return false;
  }
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (hostname.startsWith('[')) return isLoopbackAddress(hostname.slice(1, -1));
  return isLoopbackV4(hostname);
}
