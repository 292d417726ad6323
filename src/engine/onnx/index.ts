// The ONNX graph layer: wire codec, graph view, residual-chain finder, hooking rewrite, cache.

export { ProtoError, decodeModel, encodeModel, encodeModelParts, tensorValues, DT, makeModel, makeNode, makeTensor, makeValueInfo, attrInt, attrFloat } from './proto';
export type { ModelProto, GraphProto, NodeProto, TensorProto, ValueInfo, Attribute, OpsetId, Dim } from './proto';
export { GraphView } from './graph';
export { findResidualStream, residualDtype, ResidualError } from './residual';
export type { ResidualStream, ChainValue, BlockOutput, ResidualDtype } from './residual';
export { hookModel, hookDecodedModel, HookError, REWRITE_VERSION } from './rewrite';
export { hookNames, LENS_INPUTS, LENS_OUTPUTS, LAST_POSITION } from './names';
export type { HookNames } from './names';
export type { HookInfo, HookLayer, HookOptions } from './rewrite';
export { hookedModelPath, sha256File } from './cache';
export type { HookCacheOptions } from './cache';
