// Direction files (.safetensors) and the vector maths around them.
export {
  DIRECTION_TENSOR, DirectionFileError, UNKNOWN, checkVectors, metaToStrings, parseDirection, serializeDirection,
  type Direction, type DirectionExpect, type DirectionMeta,
} from './direction';
export { readDirection, sha256Hex, writeDirection } from './io';
export { cosinePerLayer, dot, gaussian, layerVector, mulberry32, norm, orthonormalBasis, randomControl, unit } from './math';
export { SafetensorsError, readSafetensors, writeSafetensors, type SafetensorsContents, type TensorEntry } from './safetensors';
export { readVectorFile, isVectorPath, VECTOR_EXTENSIONS, CONVENTIONS, type Convention, type VectorReadOptions } from './formats/index';
export { exportDirection, EXPORT_FORMATS, type ExportFormat, type ExportOptions, type ExportResult } from './formats/export';
export { chatTemplateSha256, promptSystem, renderConditionsOf, renderToStrings, renderWarnings, RENDER_KEYS, type ApplyConditions, type RenderConditions } from './render';
