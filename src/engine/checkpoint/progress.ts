// Byte counts of a build or conversion as phase progress in MiB with an ETA, reported only when
// the MiB count moves (a model of many small tensors would otherwise flood a log).
import { ProgressTracker, type ProgressFn } from '../experiments/progress.js';

export function mibProgress(phase: string, fn: ProgressFn): (done: number, total: number) => void {
  let tracker: ProgressTracker | undefined;
  let last = -1;
  return (done, total) => {
    const t = Math.max(1, Math.ceil(total / 2 ** 20));
    const d = done >= total ? t : Math.min(t - 1, Math.floor(done / 2 ** 20));
    tracker ??= new ProgressTracker(phase, t, fn); // reports 0 / t
    if (d === last || (d === 0 && last === -1)) return;
    last = d;
    tracker.report(d);
  };
}
