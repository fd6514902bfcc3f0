// How the dashboard answers: every response with the same security headers, never cached.
import type { ServerResponse } from 'node:http';

export const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // Vega compiles its expressions with Function(): 'unsafe-eval' for scripts from this server only; no
  // inline script can run, so text that slipped into the page as markup still could not execute.
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
} as const;

/** Sends a whole response (headers only for HEAD). */
export function send(response: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  response.end(head ? undefined : body);
}

export const notFound = (response: ServerResponse, head: boolean): void => send(response, 404, 'text/plain; charset=utf-8', 'not found\n', head);
