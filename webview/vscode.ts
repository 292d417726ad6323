// The one place that calls acquireVsCodeApi (VS Code allows a single call per page).

import type { DatasetViewMessage } from '../src/protocol/dataset';
import type { WebviewToHostMessage } from '../src/protocol/webview';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi = acquireVsCodeApi();

export function post(message: WebviewToHostMessage): void {
  api.postMessage(message);
}

/** The dataset view's messages (its own page and bundle, the same one API per page). */
export function postDataset(message: DatasetViewMessage): void {
  api.postMessage(message);
}

export function loadState(): unknown {
  return api.getState();
}

export function saveState(state: unknown): void {
  api.setState(state);
}
