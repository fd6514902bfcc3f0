import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { NEVER, Subject, from } from 'rxjs';
import { ConfigError, type MetricEvent } from 'gradstream';
import { serveDashboard, type Dashboard } from '../../src/dashboard/serveDashboard.js';
import { evaluationEvent, runEvents, updateEvent } from '../support/events.js';
import { openSse, rawGet } from '../support/sse.js';

let dashboards: Dashboard[] = [];
const serve = async (...args: Parameters<typeof serveDashboard>) => {
  const dashboard = await serveDashboard(...args);
  dashboards.push(dashboard);
  return dashboard;
};
afterEach(async () => {
  await Promise.all(dashboards.map((d) => d.close()));
  dashboards = [];
});

/** `GET <target>` with the given Host header, to the address the server is bound to. */
const rawGetAt = (address: string, port: number, target: string, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, address, () => socket.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? NaN)));
    socket.on('error', reject);
  });

const rowsOf = (data: string) => JSON.parse(data) as { run: number; from: number; rows: { kind: string; update: number }[] };
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('serveDashboard: what it serves', () => {
  it('serves the page, its script and the Vega build from this process', async () => {
    const { url } = await serve(NEVER);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<script type="module" src="dashboard.js">');
    for (const path of ['dashboard.js', 'dashboard.css', 'vendor/vega.min.js']) expect((await fetch(url + path)).status).toBe(200);
  });

  it('serves the charts over each x-axis as compiled Vega specs with named datasets', async () => {
    const { url } = await serve(NEVER, { name: 'a' });
    for (const x of ['update', 'examplesSeen', 'seconds']) {
      const charts = (await (await fetch(`${url}api/charts?x=${x}`)).json()) as { loss: { data: { name: string }[] }; metrics: unknown[] };
      expect(charts.loss.data.map((d) => d.name)).toEqual(expect.arrayContaining(['updates', 'evaluations']));
      expect(charts.metrics).toHaveLength(8);
    }
  });

  it('sends a page the whole history first, then the events as they come', async () => {
    const events = new Subject<MetricEvent>();
    const { url } = await serve(events, { name: 'live' });
    events.next(updateEvent(1));
    events.next(updateEvent(2));
    await tick();
    const stream = openSse(`${url}api/events`);
    await stream.next(2); // the history, and the run's news
    expect(stream.messages.map((m) => m.event)).toEqual(['rows', 'run']);
    expect(rowsOf(stream.messages[0]!.data)).toMatchObject({ run: 0, from: 0, rows: [{ update: 1 }, { update: 2 }] });
    events.next(updateEvent(3));
    events.next(evaluationEvent(3, 1, 0.5));
    await stream.next(3);
    expect(rowsOf(stream.messages[2]!.data)).toMatchObject({ from: 2, rows: [{ update: 3, kind: 'update' }, { kind: 'evaluation' }] });
    events.complete();
    await stream.next(4);
    expect(JSON.parse(stream.messages[3]!.data)).toMatchObject({ run: 0, name: 'live', status: 'finished' });
    stream.close();
  });

  it('gives a page opened after the run every row, and the run as finished', async () => {
    const { url } = await serve(from(runEvents(2, 3)), { name: 'done', config: { lr: 0.1 } });
    const stream = openSse(`${url}api/events`);
    await stream.next(2);
    expect(rowsOf(stream.messages[0]!.data).rows).toHaveLength(8);
    expect(JSON.parse(stream.messages[1]!.data)).toMatchObject({ status: 'finished', config: { lr: 0.1 } });
    stream.close();
  });

  it('shows a run whose events fail as failed, with the message, and keeps serving', async () => {
    const events = new Subject<MetricEvent>();
    const { url } = await serve(events);
    events.error(new Error('loss is NaN'));
    const { runs } = (await (await fetch(`${url}api/runs`)).json()) as { runs: unknown[] };
    expect(runs).toEqual([{ name: 'run', status: 'failed', error: 'loss is NaN', config: null }]);
  });

  it('rejects a bad port with a ConfigError naming it', () => {
    expect(() => serveDashboard(NEVER, { port: 70000 })).toThrow(ConfigError);
    expect(() => serveDashboard(NEVER, { port: -1 })).toThrow(/serveDashboard: port must be an integer >= 0, got -1/);
  });
});

describe('serveDashboard: safety', () => {
  const traversals = [
    '/../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    '/..%2f..%2fetc%2fpasswd',
    '/%252e%252e/%252e%252e/etc/passwd',
    '/..\\..\\etc\\passwd',
    '/%2e%2e%5c%2e%2e%5cetc%5cpasswd',
    '//etc/passwd',
    '/vendor/../../../package.json',
    '/vendor/..%2f..%2f..%2fpackage.json',
    '/dashboard.js/../../../../etc/passwd',
    '/vendor/vega.min.js%00.html',
    '/./dashboard.js',
    '/index.html',
    '/api/charts?x=../../etc/passwd',
    'http://127.0.0.1/../../etc/passwd',
  ];

  it.each(traversals)('answers %s with 404', async (target) => {
    const { port } = await serve(NEVER);
    expect(await rawGet(port, target)).toBe(404);
  });

  it('answers the same server 200 on its own paths (the 404s are not a dead server)', async () => {
    const { port } = await serve(NEVER);
    expect(await rawGet(port, '/dashboard.js')).toBe(200);
    expect(await rawGet(port, '/')).toBe(200);
  });

  it('refuses a request for another host name while bound to loopback (DNS rebinding)', async () => {
    const { port } = await serve(NEVER);
    expect(await rawGet(port, '/', 'evil.example:80')).toBe(404);
    expect(await rawGet(port, '/', `localhost:${port}`)).toBe(200);
  });

  // Each spelling binds a loopback address; the old check knew only 127.0.0.1, localhost and ::1 by name.
  it.each(['127.0.0.2', '127.1', '0177.0.0.1', '0x7f.0.0.1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '[::1]', 'LOCALHOST'])(
    'bound to %s, refuses Host: evil.example and answers a request naming itself',
    async (host) => {
      const dashboard = await serve(NEVER, { host });
      const own = dashboard.host.includes(':') ? `[${dashboard.host}]` : dashboard.host;
      expect(await rawGetAt(dashboard.host, dashboard.port, '/', 'evil.example')).toBe(404);
      expect(await rawGetAt(dashboard.host, dashboard.port, '/', `evil.example:${dashboard.port}`)).toBe(404);
      expect(await rawGetAt(dashboard.host, dashboard.port, '/', `${own}:${dashboard.port}`)).toBe(200);
    },
  );

  it.each(['127.1', '0177.0.0.1', '0x7f.0.0.1', '127.0.0.2', '2130706433', '[0:0:0:0:0:0:0:1]', '[::ffff:127.0.0.1]', 'LOCALHOST', 'app.localhost'])(
    'bound to 127.0.0.1, answers a request whose Host is the loopback spelling %s',
    async (name) => {
      const { port } = await serve(NEVER);
      expect(await rawGet(port, '/', `${name}:${port}`)).toBe(200);
    },
  );

  it.each(['127.0.0.1.nip.io', 'localhost.evil.example', 'evil.example#@127.0.0.1', '127.0.0.1@evil.example', '', '[::2]'])(
    'bound to 127.0.0.1, refuses a request whose Host %j is not this machine',
    async (name) => {
      const { port } = await serve(NEVER);
      expect(await rawGet(port, '/', name)).toBe(404);
    },
  );

  it('bound to every interface (the user chose to be reachable), answers any Host', async () => {
    const { port } = await serve(NEVER, { host: '0.0.0.0' });
    expect(await rawGet(port, '/', 'evil.example')).toBe(200);
  });

  it('binds 127.0.0.1 by default, and is not reachable on the machine\'s other addresses', async () => {
    const dashboard = await serve(NEVER);
    expect(dashboard.host).toBe('127.0.0.1');
    expect(dashboard.url).toBe(`http://127.0.0.1:${dashboard.port}/`);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
    if (external === undefined) return; // no other address to try on this machine
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(dashboard.port, external.address);
      socket.on('connect', () => (socket.destroy(), resolve(false)));
      socket.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('binds the host it is given', async () => {
    const dashboard = await serve(NEVER, { host: '0.0.0.0' });
    expect(dashboard.host).toBe('0.0.0.0');
  });

  it('sends run names and configuration as JSON data, never inside markup', async () => {
    const name = '<script>window.pwned = 1</script>';
    const { url } = await serve(NEVER, { name, config: { note: '<img src=x onerror=alert(1)>' } });
    const page = await (await fetch(url)).text();
    expect(page).not.toContain('pwned');
    const response = await fetch(`${url}api/runs`);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(((await response.json()) as { runs: { name: string }[] }).runs[0]!.name).toBe(name);
  });
});

describe('serveDashboard: a page that stops reading', () => {
  it('holds a bounded amount for it while the run goes on, never slows the events, and catches it up later', async () => {
    const events = new Subject<MetricEvent>();
    const dashboard = await serve(events);
    // A client that sends its request and then never reads: the socket is paused from the start.
    const socket = connect(dashboard.port, '127.0.0.1');
    socket.pause();
    socket.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${dashboard.port}\r\n\r\n`);
    while (dashboard.clients().length === 0) await tick();

    // 40 MB of rows: far more than the kernel's socket buffers on both sides can absorb.
    const padding = 'x'.repeat(4000);
    const total = 10_000;
    let maxQueued = 0;
    for (let i = 1; i <= total; i++) {
      events.next({ ...updateEvent(i), padding } as MetricEvent);
      if (i % 100 === 0) {
        await tick();
        await tick();
        maxQueued = Math.max(maxQueued, dashboard.clients()[0]!.queuedBytes);
      }
    }
    const [client] = dashboard.clients();
    expect(client!.sentRows).toBeLessThan(total); // it fell behind: the rest waits in the shared history
    expect(maxQueued).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(64 * 1024 + 16 * 1024 + 8 * 1024); // one message, the socket's buffer, one row

    // Reading again, it is sent every row.
    let received = 0;
    let carry = '';
    socket.setEncoding('utf8');
    const all = new Promise<void>((resolve) =>
      socket.on('data', (chunk: string) => {
        // Count whole rows only: a marker may be split between two chunks.
        const text = carry + chunk;
        received += text.split('"kind":"update"').length - 1;
        carry = text.slice(Math.max(text.lastIndexOf('"kind":"update"') + 15, text.length - 14));
        if (received >= total) resolve();
      }),
    );
    socket.resume();
    await all;
    expect(dashboard.clients()[0]!.sentRows).toBe(total);
    socket.destroy();
  });
});
