import { request } from 'node:http';
import { connect } from 'node:net';

/** A message of a Server-Sent Events stream. */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
}

/** Opens a Server-Sent Events stream and collects its messages as they come; `close` ends it. */
export function openSse(url: string): { readonly messages: SseMessage[]; next: (count: number) => Promise<void>; close: () => void } {
  const messages: SseMessage[] = [];
  let buffer = '';
  let waiter: (() => void) | undefined;
  const req = request(url, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined && data !== undefined) messages.push({ event, data });
      }
      waiter?.();
    });
  });
  req.on('error', () => undefined);
  req.end();
  return {
    messages,
    next: (count) =>
      // On the stream's own messages, not a clock: the test's timeout guards against a hang.
      new Promise<void>((resolve) => {
        const check = () => {
          if (messages.length >= count) {
            waiter = undefined;
            resolve();
          }
        };
        waiter = check;
        check();
      }),
    close: () => req.destroy(),
  };
}

/** Sends `GET <target>` as raw bytes (no client-side normalisation of the path) and resolves with the status code. */
export function rawGet(port: number, target: string, host = `127.0.0.1:${port}`): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? NaN)));
    socket.on('error', reject);
  });
}
