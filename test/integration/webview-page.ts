// The inspector webview as it ships, served to headless Chromium under the page's own CSP,
// with a stub acquireVsCodeApi that records posted messages and keeps setState in
// sessionStorage (as VS Code keeps it across a webview reload); and readers for what the
// heatmaps show (values from the DOM, colours from the canvas, cell positions on screen).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { HostToWebviewMessage } from '../../src/protocol/webview';
import { THEMES } from './webview-themes';

export const CHROMIUM = '/usr/bin/chromium';
export const REPO = path.resolve(__dirname, '../..');

// tsx compiles the tests with keepNames, so a named helper inside a page function calls __name.
const STUB = `(() => {
  window.__name = (f) => f;
  window.__posted = [];
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return {
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => { const s = sessionStorage.getItem('vscode-state'); return s ? JSON.parse(s) : undefined; },
      setState: (s) => { sessionStorage.setItem('vscode-state', JSON.stringify(s)); return s; },
    };
  };
})();`;

async function serve(dir: string, repo: string): Promise<{ url: string; close: () => void }> {
  const template = readFileSync(path.join(repo, 'media/webview/inspector.html'), 'utf8');
  const server = http.createServer((req, res) => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const files: Record<string, [string, string | Buffer]> = {
      '/webview.js': ['text/javascript', readFileSync(path.join(dir, 'webview.js'))],
      '/inspector.css': ['text/css', readFileSync(path.join(repo, 'media/webview/inspector.css'))],
    };
    if (req.url === '/favicon.ico') return void res.writeHead(204).end();
    if (req.url === '/') {
      // Filled exactly as the host fills it: the page runs under its real CSP.
      const html = template
        .replaceAll('{{cspSource}}', origin)
        .replaceAll('{{nonce}}', randomBytes(16).toString('base64'))
        .replaceAll('{{styleUri}}', `${origin}/inspector.css`)
        .replaceAll('{{scriptUri}}', `${origin}/webview.js`);
      files['/'] = ['text/html', html];
    }
    const f = files[req.url ?? ''];
    res.writeHead(f ? 200 : 404, { 'content-type': f ? f[0] : 'text/plain' }).end(f ? f[1] : 'not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() };
}

export interface WebviewPage {
  page: Page;
  context: BrowserContext;
  /** console errors, page errors and CSP violations seen so far */
  problems: string[];
  close(): Promise<void>;
}

/**
 * Bundle webview/main.ts, serve it and open it in Chromium; resolves once the page said ready.
 * `repo` serves another checkout's webview (to time two versions under the same conditions).
 */
export async function openWebview(viewport = { width: 1100, height: 1200 }, repo = REPO): Promise<WebviewPage> {
  const work = mkdtempSync(path.join(tmpdir(), 'rl-webview-'));
  await esbuild.build({ entryPoints: [path.join(repo, 'webview/main.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', outfile: path.join(work, 'webview.js'), logLevel: 'silent' });
  const server = await serve(work, repo);
  const context = await chromium.launchPersistentContext(path.join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    viewport,
  });
  const problems: string[] = [];
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.addInitScript(STUB);
  await page.goto(server.url);
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  return {
    page,
    context,
    problems,
    close: async () => {
      await context.close();
      server.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export const send = (page: Page, m: HostToWebviewMessage) => page.evaluate((msg) => window.postMessage(msg, '*'), m);
export const posted = (page: Page) => page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted);
export const lastPosted = async (page: Page) => (await posted(page)).at(-1) as Record<string, unknown> | undefined;

export async function applyTheme(page: Page, name: keyof typeof THEMES): Promise<void> {
  await page.evaluate((th) => {
    for (const [k, v] of Object.entries(th.vars)) document.documentElement.style.setProperty(k, v);
    document.body.className = th.bodyClass;
  }, THEMES[name]);
}

export async function settle(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

export interface Cell {
  layer: number;
  token: number;
  value: number;
}

/** Every value a heatmap shows, read from its DOM rows (one per layer), as the e2e reads them. */
export async function readValues(page: Page, axis: string): Promise<Cell[]> {
  return page.$$eval(`div.heatmap-block[data-axis="${axis}"] div.heatmap-values span.row`, (rows) =>
    rows.flatMap((r) => {
      const layer = Number(r.getAttribute('data-layer'));
      return (r.getAttribute('data-values') ?? '').split(' ').filter((s) => s !== '').map((v, token) => ({ layer, token, value: Number(v) }));
    }),
  );
}

/** Scroll the map so the cell is in view and return its centre in page coordinates. */
export async function cellPoint(page: Page, axis: string, layerIndex: number, token: number): Promise<{ x: number; y: number }> {
  return page.$eval(
    `div.heatmap-block[data-axis="${axis}"]`,
    (block, [li, t]) => {
      const svg = block.querySelector('svg.heatmap')!;
      const cw = Number(svg.getAttribute('data-cell-w'));
      const ch = Number(svg.getAttribute('data-cell-h'));
      const scroller = block.querySelector<HTMLElement>('.heatmap-scroll')!;
      const canvas = block.querySelector('canvas.heatmap-cells')!;
      const canvasLeft = canvas.getBoundingClientRect().left - scroller.getBoundingClientRect().left + scroller.scrollLeft;
      const left = canvasLeft + t * cw;
      if (left < scroller.scrollLeft || left + cw > scroller.scrollLeft + scroller.clientWidth) scroller.scrollLeft = left + cw / 2 - scroller.clientWidth / 2;
      canvas.scrollIntoView({ block: 'nearest' });
      const r = canvas.getBoundingClientRect();
      return { x: r.left + (t + 0.5) * cw, y: r.top + (li + 0.5) * ch };
    },
    [layerIndex, token] as const,
  );
}

/** The canvas colour at a cell's centre as [r, g, b, a]. */
export async function cellPixel(page: Page, axis: string, layerIndex: number, token: number, dx = 0.5, dy = 0.5): Promise<number[]> {
  return page.$eval(
    `div.heatmap-block[data-axis="${axis}"]`,
    (block, [li, t, fx, fy]) => {
      const svg = block.querySelector('svg.heatmap')!;
      const canvas = block.querySelector<HTMLCanvasElement>('canvas.heatmap-cells')!;
      const k = canvas.width / canvas.getBoundingClientRect().width;
      const x = Math.floor((t + fx) * Number(svg.getAttribute('data-cell-w')) * k);
      const y = Math.floor((li + fy) * Number(svg.getAttribute('data-cell-h')) * k);
      return Array.from(canvas.getContext('2d')!.getImageData(x, y, 1, 1).data);
    },
    [layerIndex, token, dx, dy] as const,
  );
}
