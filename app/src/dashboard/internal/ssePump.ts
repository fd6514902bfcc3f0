// The live stream to each page: a cursor into the shared history, written while the socket takes data.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeRun, type RunState } from './runHistory.js';
import { SECURITY_HEADERS } from './send.js';

/** A page is sent at most this many bytes of rows per message; with the socket's own buffer, the bound of what waits for it. */
const MESSAGE_BYTES = 64 * 1024;

/** A connected page. */
export interface Client {
  readonly response: ServerResponse;
  /** Per run: rows sent so far (an index into the run's history), and the run version sent. */
  readonly cursors: number[];
  readonly versions: number[];
  waiting: boolean;
  sentRows: number;
}

const message = (event: string, data: string): string => `event: ${event}\ndata: ${data}\n\n`;

/** The next message a page is owed: rows first, in bounded slices, then run news. */
function nextMessage(runs: ReadonlyArray<RunState>, client: Client): string | undefined {
  for (const [i, run] of runs.entries()) {
    const from = client.cursors[i]!;
    if (from < run.rows.length) {
      let end = from;
      let bytes = 0;
      while (end < run.rows.length && (end === from || bytes + run.rows[end]!.length <= MESSAGE_BYTES)) bytes += run.rows[end++]!.length + 1;
      client.cursors[i] = end;
      client.sentRows += end - from;
      return message('rows', `{"run":${i},"from":${from},"rows":[${run.rows.slice(from, end).join(',')}]}`);
    }
  }
  for (const [i, run] of runs.entries()) {
    if (client.versions[i] !== run.version) {
      client.versions[i] = run.version;
      return message('run', JSON.stringify({ run: i, ...describeRun(run) }));
    }
  }
  return undefined;
}

/** Writes what a page is owed until it has all of it or its socket is full ('drain' resumes it). */
export function pump(runs: ReadonlyArray<RunState>, client: Client): void {
  while (!client.waiting && !client.response.destroyed) {
    const next = nextMessage(runs, client);
    if (next === undefined) return;
    // false: the socket's buffer is full. Stop here; 'drain' resumes from the cursors.
    if (!client.response.write(next)) client.waiting = true;
  }
}

/** Answers `GET /api/events`: a Server-Sent Events stream, from the first row, kept in `clients` while open. */
export function openStream(runs: ReadonlyArray<RunState>, clients: Set<Client>, request: IncomingMessage, response: ServerResponse): void {
  request.socket.setNoDelay(true);
  response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
  response.write('retry: 1000\n\n');
  const client: Client = { response, cursors: runs.map(() => 0), versions: runs.map(() => -1), waiting: false, sentRows: 0 };
  clients.add(client);
  response.on('drain', () => {
    client.waiting = false;
    pump(runs, client);
  });
  response.on('close', () => clients.delete(client));
  pump(runs, client);
}
