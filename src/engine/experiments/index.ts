// The experiments API (issue 4): extract, select, geometry, annotate, ablate → refusal receipt.
// Every long-running call takes `onProgress` and an AbortSignal, so the CLI and the editor
// (through the worker) drive the same code.
export { activationsAt, postInstructionLength, POSITION_RULES, type PositionRule } from './activations';
export { extractDirection, pcaPaired, type ExtractMethod, type ExtractOptions } from './extract';
export { selectRefusalDirection, selectJson, selectMarkdown, type CandidateScore, type SelectOptions, type SelectResult } from './select';
export { geometry, geometryCsv, geometryMarkdown, geometrySvg, randomCosineSpread, type GeometryResult } from './geometry';
export {
  annotate, readAnnotations, readResults, summariseAnnotations, isAnnotationError, PROJECTION_POSITIONS,
  type AnnotateOptions, type AnnotateSummary, type AnnotationRow, type AnnotationErrorRow, type AnnotationSummary, type ProjectionPosition, type ProjectionSummary,
} from './annotate';
export { ablateToFolder, runAblation, writeReceiptFiles, sweepChart, PromptTooLongError, type AblateOptions, type AblationRun, type ResponseRow } from './ablate';
export { prepareReceiptFolder, receiptFileNames } from './receipt-files';
export { readReceiptFile, receiptProblem } from './receipt-check';
export { loadConditionFile, parseConditions, ConditionFileError, formatIssue, type ConditionPlan, type LocatedIssue } from './conditions';
export { receiptHash, receiptJson, summarise, RECEIPT_SCHEMA, type ConditionResult, type Receipt, type SweepResult } from './receipt';
export { receiptCsv, receiptLatex, receiptMarkdown, describeIntervention } from './receipt-render';
export { ratesChart, lineChart } from './charts';
export { builtinContrasts, builtinSetNames, loadPromptSet, readPromptSet, type PromptSet } from './dataset';
export { wilson, Z95 } from './stats';
export { formatDuration, type Progress, type ProgressFn } from './progress';
