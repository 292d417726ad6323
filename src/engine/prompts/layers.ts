// The layer syntax lives in src/protocol/layers.ts (the webview and the registry need it too).
export { formatLayerSpec, parseLayerSpec } from '../../protocol/layers';
