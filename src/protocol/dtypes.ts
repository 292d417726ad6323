// The compute dtypes a model folder can be opened in: one list for the CLI's --dtype, the
// `refusalLens.model.dtype` setting and the engine (`loadModel({ dtype })`).

/** ONNX export variants (onnx/model.onnx, model_<dtype>.onnx) */
export const ONNX_DTYPES = ['fp32', 'fp16', 'q4', 'q4f16', 'quantized'] as const;
/** what a safetensors checkpoint folder is built into (src/engine/checkpoint) */
export const CHECKPOINT_DTYPES = ['fp32', 'fp16', 'q8', 'q4'] as const;
/** every value --dtype accepts: the union of the two lists */
export const MODEL_DTYPES = ['fp32', 'fp16', 'q8', 'q4', 'q4f16', 'quantized'] as const;
export type ModelDtype = (typeof MODEL_DTYPES)[number];
export type CheckpointDtype = (typeof CHECKPOINT_DTYPES)[number];

/**
 * Which weights q8/q4 quantise in a checkpoint build: the decoder's linear layers only, also the
 * lm_head, or also the embedding table (`all`). Tied embeddings are one tensor: quantising the
 * head quantises the table too.
 */
export const QUANT_SCOPES = ['layers', 'layers+head', 'all'] as const;
export type QuantScope = (typeof QUANT_SCOPES)[number];
