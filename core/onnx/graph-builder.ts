// Small constructors for ONNX protobuf messages (onnx-proto, protobufjs static module). Every attribute
// carries its type; nothing time- or environment-dependent goes into a model, so equal inputs give equal bytes.
import { onnx } from 'onnx-proto';

/** ONNX 1.12 levels: IR 8, default opset 17, ai.onnx.ml opset 3 (all loadable by onnxruntime-node 1.30). */
export const IR_VERSION = 8;
export const ONNX_OPSET = 17;
export const ML_OPSET = 3;
export const ML_DOMAIN = 'ai.onnx.ml';

export const DataType = onnx.TensorProto.DataType;
const AttributeType = onnx.AttributeProto.AttributeType;

export type ElemType = 'float32' | 'string' | 'int64' | 'bool';
const ELEM: Record<ElemType, number> = {
  float32: DataType.FLOAT,
  string: DataType.STRING,
  int64: DataType.INT64,
  bool: DataType.BOOL,
};

/** Nodes and initializers collected in insertion order (the graph keeps that order). */
export interface GraphParts {
  nodes: onnx.INodeProto[];
  initializers: onnx.ITensorProto[];
}

export function emptyGraph(): GraphParts {
  return { nodes: [], initializers: [] };
}

export type Attribute = onnx.IAttributeProto;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export const attr = {
  int: (name: string, i: number): Attribute => ({ name, type: AttributeType.INT, i }),
  float: (name: string, f: number): Attribute => ({ name, type: AttributeType.FLOAT, f }),
  string: (name: string, s: string): Attribute => ({ name, type: AttributeType.STRING, s: utf8(s) }),
  ints: (name: string, ints: number[]): Attribute => ({ name, type: AttributeType.INTS, ints }),
  floats: (name: string, floats: ArrayLike<number>): Attribute => ({ name, type: AttributeType.FLOATS, floats: Array.from(floats) }),
  strings: (name: string, strings: string[]): Attribute => ({ name, type: AttributeType.STRINGS, strings: strings.map(utf8) }),
  /** A 1-D double tensor attribute (TreeEnsemble's splits, weights and sets). */
  doubles: (name: string, values: ArrayLike<number>): Attribute => ({
    name,
    type: AttributeType.TENSOR,
    t: { dataType: DataType.DOUBLE, dims: [values.length], doubleData: Array.from(values) },
  }),
  /** A 1-D uint8 tensor attribute (TreeEnsemble's node modes). */
  bytes: (name: string, values: ArrayLike<number>): Attribute => ({
    name,
    type: AttributeType.TENSOR,
    t: { dataType: DataType.UINT8, dims: [values.length], rawData: Uint8Array.from(values) },
  }),
};

/** Appends a node named after its first output. Returns that output's name. */
export function addNode(g: GraphParts, opType: string, inputs: string[], outputs: string[], attributes: Attribute[] = [], domain = ''): string {
  const first = outputs[0];
  if (first === undefined) throw new Error(`${opType} node needs at least one output`);
  g.nodes.push({ opType, input: inputs, output: outputs, name: first, attribute: attributes, domain });
  return first;
}

export function addFloatConstant(g: GraphParts, name: string, dims: number[], values: ArrayLike<number>): string {
  g.initializers.push({ name, dataType: DataType.FLOAT, dims, floatData: Array.from(values) });
  return name;
}

export function addDoubleConstant(g: GraphParts, name: string, dims: number[], values: ArrayLike<number>): string {
  g.initializers.push({ name, dataType: DataType.DOUBLE, dims, doubleData: Array.from(values) });
  return name;
}

export function addStringConstant(g: GraphParts, name: string, values: string[]): string {
  g.initializers.push({ name, dataType: DataType.STRING, dims: [values.length], stringData: values.map(utf8) });
  return name;
}

export function addInt64Constant(g: GraphParts, name: string, dims: number[], values: number[]): string {
  g.initializers.push({ name, dataType: DataType.INT64, dims, int64Data: values });
  return name;
}

/** A value info; −1 in `shape` becomes the symbolic batch dimension "N". */
export function valueInfo(name: string, type: ElemType, shape: number[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: shape.map((d) => (d < 0 ? { dimParam: 'N' } : { dimValue: d })) },
      },
    },
  };
}

export interface ModelMeta {
  graphName: string;
  modelVersion: number;
  producer: string;
  docString?: string;
  metadata: [string, string][];
  /** ai.onnx.ml opset; default ML_OPSET. */
  mlOpset?: number;
}

export function encodeModel(g: GraphParts, inputs: onnx.IValueInfoProto[], outputs: onnx.IValueInfoProto[], meta: ModelMeta): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [
      { domain: '', version: ONNX_OPSET },
      { domain: ML_DOMAIN, version: meta.mlOpset ?? ML_OPSET },
    ],
    producerName: meta.producer,
    modelVersion: meta.modelVersion,
    docString: meta.docString ?? '',
    graph: {
      name: meta.graphName,
      node: g.nodes,
      initializer: g.initializers,
      input: inputs,
      output: outputs,
    },
    metadataProps: meta.metadata.map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}
