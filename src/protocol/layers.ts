// Layer lists as people write them: [4, 5, 6], "4-7", "4,6,8-10", "all". 0-based, inclusive ranges.
// In protocol/ (no runtime deps) because the intervention registry describes layers for the CLI,
// receipts, the status bar and the webview alike.

/** No model has this many layers; the cap keeps a typo like "0-999999999" from allocating forever. */
const MAX_LAYER = 100_000;

/**
 * Sorted, de-duplicated 0-based layers. Throws an Error saying what is wrong with the spec:
 * a bad item, a reversed range, a layer ≥ nLayers (when given), "all" without nLayers, or no layers.
 */
export function parseLayerSpec(spec: string | readonly number[], nLayers?: number): number[] {
  const out = new Set<number>();
  const bound = (l: number): void => {
    if (l > MAX_LAYER) throw new Error(`layer ${l} is implausibly large`);
    if (nLayers !== undefined && l >= nLayers) {
      throw new Error(`layer ${l} is out of range: the model has ${nLayers} layers (0-${nLayers - 1})`);
    }
    out.add(l);
  };
  if (typeof spec !== 'string') {
    for (const l of spec) {
      if (!Number.isSafeInteger(l) || l < 0) throw new Error(`layer ${l} is not a non-negative integer`);
      bound(l);
    }
  } else if (spec.trim().toLowerCase() === 'all') {
    if (nLayers === undefined) throw new Error("'all' needs the model's layer count");
    for (let l = 0; l < nLayers; l++) out.add(l);
  } else {
    for (const raw of spec.split(',')) {
      const item = raw.trim();
      if (item === '') throw new Error(`empty item in layer list '${spec}'`);
      const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(item);
      if (!m) throw new Error(`'${item}' is not a layer number or a range like 4-7`);
      const a = Number(m[1]);
      const b = m[2] === undefined ? a : Number(m[2]);
      if (b < a) throw new Error(`range '${item}' runs backwards (write ${b}-${a})`);
      for (let l = a; l <= b; l++) bound(l);
    }
  }
  if (out.size === 0) throw new Error('no layers given');
  return [...out].sort((x, y) => x - y);
}

/** The shortest spec string for a layer list: [4,5,6,7,9] → "4-7,9". */
export function formatLayerSpec(layers: readonly number[]): string {
  const sorted = [...new Set(layers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The on-screen form (webview chips, status bar): [3,4,5,6,9] → "3–6, 9" (en dash). */
export function formatLayerRanges(layers: readonly number[]): string {
  return formatLayerSpec(layers).split(',').map((p) => p.replace('-', '–')).join(', ');
}
