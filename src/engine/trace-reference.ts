// A trace request's reference-set work, before and after the run: model-relative interventions
// (norm coefficients, percentile cap bounds) resolved to raw ones against the reference set, and
// the run's record of it (reference, resolved interventions, the norm check and its warning).
import type { Intervention, TraceResult } from '../protocol/types.js';
import { DEFAULT_REFERENCE_SET, NORM_WARNING_FACTOR, type NormCheck, type ReferenceRecord } from '../protocol/reference.js';
import type { ReferenceStats } from './directions/reference.js';
import { isRelative, normWarning, percentileAxes, referenceRecord, resolveInterventions } from './directions/resolve.js';
import type { NormSums } from './generate/loop.js';
import type { LensModel, TraceRequest } from './trace.js';

/** A request after its model-relative interventions were resolved against the reference set. */
export interface Prepared {
  req: TraceRequest;
  /** What the graph runs: raw coefficients and numeric bounds. */
  run: Intervention[];
  resolved: boolean;
  reference?: ReferenceRecord;
  /** Why the norm check cannot run (the reference set could not be measured). */
  skipped?: string;
}

/** Resolves model-relative interventions and fetches what the norm check compares against. */
export async function prepareRequests(model: Pick<LensModel, 'referenceStats'>, reqs: TraceRequest[], signal?: AbortSignal): Promise<Prepared[]> {
  const out: Prepared[] = [];
  for (const [i, req] of reqs.entries()) {
    const ivs = req?.interventions ?? [];
    if (!req || typeof req !== 'object' || ivs.length === 0) {
      out.push({ req, run: ivs, resolved: false });
      continue;
    }
    const relative = ivs.some(isRelative);
    const spec = req.reference ?? DEFAULT_REFERENCE_SET;
    const axes = relative ? percentileAxes(ivs, req.axes ?? []) : [];
    let stats: ReferenceStats;
    try {
      stats = await model.referenceStats(spec, axes, signal);
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      const why = `reference set ${spec}: ${(e as Error).message}`;
      if (relative) throw new Error(`${reqs.length > 1 ? `requests[${i}]` : 'request'}: norm coefficients and percentile bounds need the ${why}`);
      out.push({ req, run: ivs, resolved: false, skipped: why });
      continue;
    }
    const r = relative ? resolveInterventions(ivs, req.axes ?? [], stats) : { interventions: ivs, percentiles: [] };
    out.push({ req, run: r.interventions, resolved: relative, reference: referenceRecord(stats, r.percentiles) });
  }
  return out;
}

/** The reference record, resolved interventions, norm check and warning of one run. */
export function withReference(t: TraceResult, p: Prepared, norms: NormSums | undefined, device: string | undefined): TraceResult {
  if (!(p.req.interventions ?? []).length) return t;
  const check: NormCheck = p.skipped
    ? { skipped: p.skipped }
    : norms
      ? {
          factor: NORM_WARNING_FACTOR,
          promptMean: norms.prompt.map((x) => round6(x / Math.max(norms.promptTokens, 1))),
          ...(norms.generatedTokens ? { generatedMean: norms.generated.map((x) => round6(x / norms.generatedTokens)) } : {}),
        }
      : { skipped: `residual norms are not read back from ${device ?? 'this device'}` };
  const warning = p.reference ? normWarning(check, p.reference) : undefined;
  return {
    ...t,
    ...(p.resolved ? { resolvedInterventions: p.run } : {}),
    ...(p.reference ? { reference: p.reference } : {}),
    normCheck: check,
    ...(warning ? { warnings: [warning] } : {}),
  };
}

const round6 = (x: number) => Number(x.toPrecision(6));
