// What an exported ONNX model takes and returns: recorded with the model artifact, used by serving and verify.

export interface OnnxInputSpec {
  /** The raw feature column name (EncodingPlan `input`). */
  name: string;
  /** float32 for numeric columns (NaN/±Infinity = missing), string for categorical ("" = missing). */
  type: 'float32' | 'string';
  shape: [-1, 1];
}

export interface OnnxOutputSpec {
  name: string;
  type: 'float32' | 'string' | 'int64';
  /** −1 = the batch dimension. */
  shape: number[];
}

export interface OnnxSignature {
  inputs: OnnxInputSpec[];
  outputs: OnnxOutputSpec[];
  /** Classifiers: the class labels, in the column order of the `probabilities` output. */
  classes?: string[];
  opsets: { 'ai.onnx': number; 'ai.onnx.ml': number };
  irVersion: number;
}

/** Output names of the exported models. */
export const OUTPUT = { label: 'label', probabilities: 'probabilities', value: 'value' } as const;

/** Output specs of a classifier graph: the label and the probabilities of every class, in class order. */
export function classifierOutputs(classes: number): OnnxOutputSpec[] {
  return [
    { name: OUTPUT.label, type: 'string', shape: [-1] },
    { name: OUTPUT.probabilities, type: 'float32', shape: [-1, classes] },
  ];
}
