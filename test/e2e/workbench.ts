// Driving the VS Code workbench in Chromium: quick open, the command palette (with retries,
// since it can open before the extension's commands are registered and never refresh), quick
// picks and input boxes, notifications, and the inspector webview two iframes deep.
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import { CHROMIUM } from './codeServer';
import type { TraceResult } from '../../src/protocol/types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Headless Chromium on a running code-server's workbench, ready for commands; screenshots go to
 * `artifacts` (emptied first). `gotoTimeout`: how long the first page may take to be served.
 */
export async function openWorkbench(url: string, artifacts: string, gotoTimeout?: number): Promise<{ browser: Browser; wb: Workbench }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  rmSync(artifacts, { recursive: true, force: true });
  const wb = new Workbench(page, artifacts);
  await page.goto(url, gotoTimeout === undefined ? {} : { timeout: gotoTimeout });
  await wb.waitForWorkbench();
  return { browser, wb };
}

export class Workbench {
  private shot = 0;
  constructor(
    readonly page: Page,
    private readonly artifacts: string,
  ) {
    mkdirSync(artifacts, { recursive: true });
  }

  async screenshot(name: string): Promise<string> {
    const file = path.join(this.artifacts, `${String(++this.shot).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async waitForWorkbench(): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // The explorer shows once the remote file system answered: the window is usable.
    await this.page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 60_000 });
  }

  private get quickInput() {
    return this.page.locator('.quick-input-widget');
  }

  /** Opens `text` in the quick input (after `key`), waits for a row matching `row`, and accepts it. */
  private async quickAccept(key: string, text: string, row: string, what: string, attempts = 8): Promise<void> {
    let last = '';
    for (let i = 0; i < attempts; i++) {
      await this.page.keyboard.press('Escape');
      await this.page.locator('.monaco-workbench').click({ position: { x: 400, y: 5 } }).catch(() => undefined);
      await this.page.keyboard.press(key);
      const input = this.quickInput.locator('input').first();
      try {
        await input.waitFor({ state: 'visible', timeout: 5000 });
        await input.fill(text);
        const match = this.quickInput.locator('.monaco-list-row', { hasText: row }).first();
        await match.waitFor({ state: 'visible', timeout: 4000 });
        await match.click();
        return;
      } catch (err) {
        last = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        await sleep(2000);
      }
    }
    throw new Error(`could not ${what} after ${attempts} tries: ${last}`);
  }

  async openFile(name: string): Promise<void> {
    await this.quickAccept('Control+P', name, name, `open ${name} with quick open`);
    await this.page.locator('.tab.active', { hasText: name }).waitFor({ timeout: 15_000 });
  }

  /** Replaces every `find` in the active editor (showing `name`) through the find/replace widget, then saves. */
  async replaceAndSave(name: string, find: string, replace: string): Promise<void> {
    const editor = this.page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.view-lines').click();
    await this.page.keyboard.press('Control+H');
    const widget = editor.locator('.find-widget');
    await widget.waitFor({ state: 'visible', timeout: 10_000 });
    await widget.locator('.find-part textarea, .find-part input').first().fill(find);
    await widget.locator('.replace-part textarea, .replace-part input').first().fill(replace);
    await widget.locator('.replace-part [aria-label^="Replace All"], .replace-part .codicon-replace-all').first().click();
    await this.page.keyboard.press('Escape');
    await editor.locator('.view-lines').click();
    await this.page.keyboard.press('Control+S');
    await this.page.locator('.tab.active:not(.dirty)', { hasText: name }).waitFor({ timeout: 10_000 });
  }

  async runCommand(title: string): Promise<void> {
    await this.quickAccept('F1', `>${title}`, title, `run "${title}" from the command palette`);
  }

  /** Picks the quick-pick row whose label is exactly `label` (typing it to filter first). */
  async pick(label: string, titleHas: string): Promise<void> {
    await this.quickInput.locator('.quick-input-title', { hasText: titleHas }).waitFor({ timeout: 60_000 });
    await this.quickInput.locator('input').first().fill(label);
    const row = this.quickInput.locator('.monaco-list-row', { has: this.page.getByText(label, { exact: true }) }).first();
    await row.waitFor({ timeout: 10_000 });
    await row.click();
  }

  /** Accepts an input box once its title shows, optionally replacing its value. */
  async input(titleHas: string, value?: string): Promise<void> {
    await this.quickInput.locator('.quick-input-title', { hasText: titleHas }).waitFor({ timeout: 30_000 });
    const input = this.quickInput.locator('input').first();
    if (value !== undefined) await input.fill(value);
    await input.press('Enter');
  }

  /**
   * Answers VS Code's simple file dialog (code-server's) with `file`. The dialog fills its input
   * with a folder a moment after it shows, which can overwrite a value typed at once: type until
   * the value stays, then accept.
   */
  async fileDialog(titleHas: string, file: string): Promise<void> {
    await this.quickInput.locator('.quick-input-title', { hasText: titleHas }).waitFor({ timeout: 30_000 });
    const input = this.quickInput.locator('input').first();
    for (const deadline = Date.now() + 15_000; ; ) {
      await input.fill(file);
      await new Promise((r) => setTimeout(r, 400));
      if ((await input.inputValue()) === file || Date.now() > deadline) break;
    }
    await input.press('Enter');
  }

  /** Waits for a notification toast containing `text`; returns its full text. */
  async notification(text: string | RegExp, timeout = 30_000): Promise<string> {
    const toast = this.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
    await toast.waitFor({ timeout });
    return (await toast.innerText()).replace(/\s+/g, ' ');
  }

  /** Text of an error the user would see (a dialog, or an error toast), if any is showing. */
  async shownError(): Promise<string | undefined> {
    const dialog = this.page.locator('.monaco-dialog-box');
    if (await dialog.isVisible()) return (await dialog.innerText()).replace(/\s+/g, ' ');
    const toast = this.page.locator('.notifications-toasts .notification-toast', { has: this.page.locator('.codicon-error') }).first();
    if (await toast.isVisible()) return (await toast.innerText()).replace(/\s+/g, ' ');
    return undefined;
  }

  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
  }

  /** The inspector page: the webview's outer iframe, then its active inner frame. */
  inspector(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  }
}

export interface HeatmapCell {
  layer: number;
  token: number;
  value: number;
}

/** Every heatmap cell of `axis` as the page shows it: the map's value rows (one per layer, data-values). */
export async function readHeatmap(view: FrameLocator, axis: string): Promise<HeatmapCell[]> {
  const rows = view.locator(`section.heatmaps div.heatmap-block[data-axis="${axis}"] div.heatmap-values span.row`);
  return rows.evaluateAll((els) =>
    els.flatMap((e) => {
      const layer = Number(e.getAttribute('data-layer'));
      return (e.getAttribute('data-values') ?? '').split(' ').filter((v) => v !== '').map((v, token) => ({ layer, token, value: Number(v) }));
    }),
  );
}

/**
 * Waits until every axis's heatmap shows exactly `expected`'s layers × tokens and values (to
 * `tolerance` relative to the layer's largest projection, or absolute below 1) and the label badge its label; fails early on an error the
 * workbench shows, with a screenshot either way.
 */
export async function expectView(wb: Workbench, expected: TraceResult, what: string, timeout = 90_000, tolerance = 1e-3): Promise<void> {
  const view = wb.inspector();
  const L = expected.layers.length;
  const T = expected.tokens.length;
  const deadline = Date.now() + timeout;
  let problem = 'nothing rendered';
  while (Date.now() < deadline) {
    problem = '';
    for (let a = 0; a < expected.axes.length && !problem; a++) {
      const axis = expected.axes[a]!.name;
      const cells = await readHeatmap(view, axis).catch(() => []);
      const layers = new Set(cells.map((c) => c.layer));
      const tokens = new Set(cells.map((c) => c.token));
      if (cells.length !== L * T || layers.size !== L || tokens.size !== T) {
        problem = `${axis}: ${cells.length} cells over ${layers.size} layers × ${tokens.size} tokens, expected ${L} × ${T}`;
        break;
      }
      // Relative to the layer's largest projection: a value near 0 is a difference of terms the
      // size of the residual, so another device's rounding shows there at that scale.
      const scale = expected.projections[a]!.map((row) => Math.max(1, ...row.map((v) => Math.abs(v))));
      for (const c of cells) {
        const l = expected.layers.indexOf(c.layer);
        const want = expected.projections[a]![l]![c.token]!;
        if (!(Math.abs(c.value - want) <= tolerance * scale[l]!)) {
          problem = `${axis} layer ${c.layer} token ${c.token}: shows ${c.value}, engine says ${want}`;
          break;
        }
      }
    }
    if (!problem) {
      const label = await view.locator('div.current span.badge').getAttribute('data-label', { timeout: 2000 }).catch(() => null);
      if (label !== expected.label.label) problem = `label badge says ${label}, engine says ${expected.label.label}`;
    }
    if (!problem) return;
    const shown = await wb.shownError();
    if (shown) {
      await wb.screenshot(`failed-${what}`).catch(() => undefined);
      throw new Error(`${what}: the editor shows an error: ${shown}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await wb.screenshot(`failed-${what}`).catch(() => undefined);
  throw new Error(`${what}: ${problem}`);
}
