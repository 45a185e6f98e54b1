/**
 * Ultralytics YOLO export (YOLOv8/YOLO11 `format=onnx`): one output `[batch, 4 + classes, boxes]`, rows cx, cy, w, h
 * in input pixels, then one already-activated score per class. No objectness row (that was YOLOv5's format).
 */
import type { Tensor } from 'onnxruntime-node';
import type { ModelManifest, YoloDecoderSpec } from '../manifest.js';
import type { Candidate } from '../nms.js';
import { floatData, outputMismatch, outputShape, type OutputDecoder, type OutputMetadata } from './decoder.js';

const BOX_ROWS = 4;

export class YoloDecoder implements OutputDecoder {
  readonly outputNames: readonly string[];
  private readonly modelId: string;
  private readonly classCount: number;
  private readonly scoreThreshold: number;

  constructor(spec: YoloDecoderSpec, manifest: Pick<ModelManifest, 'id' | 'labels' | 'scoreThreshold'>, outputs: OutputMetadata) {
    this.modelId = manifest.id;
    this.classCount = manifest.labels.length;
    this.scoreThreshold = manifest.scoreThreshold;
    const output = spec.output ?? outputs[0]?.name;
    if (output === undefined) throw outputMismatch(manifest.id, 'the model has no outputs');
    this.outputNames = [output];
    const rows = outputShape(manifest.id, outputs, output)[1];
    if (rows !== null && rows !== undefined) this.checkRows(rows);
  }

  decode(outputs: Readonly<Record<string, Tensor>>, batchIndex: number): Candidate[] {
    const tensor = outputs[this.outputNames[0]];
    const [, rows, boxes] = tensor.dims;
    this.checkRows(rows);
    const data = floatData(tensor);
    const base = batchIndex * rows * boxes;
    const candidates: Candidate[] = [];
    for (let i = 0; i < boxes; i++) {
      // Row-major [rows, boxes]: values of one box are `boxes` apart.
      let classIndex = 0;
      let score = data[base + BOX_ROWS * boxes + i];
      for (let c = 1; c < this.classCount; c++) {
        const classScore = data[base + (BOX_ROWS + c) * boxes + i];
        if (classScore > score) {
          score = classScore;
          classIndex = c;
        }
      }
      if (score < this.scoreThreshold) continue;
      const cx = data[base + i];
      const cy = data[base + boxes + i];
      const w = data[base + 2 * boxes + i];
      const h = data[base + 3 * boxes + i];
      candidates.push({ box: { x: cx - w / 2, y: cy - h / 2, w, h }, score, classIndex });
    }
    return candidates;
  }

  private checkRows(rows: number): void {
    if (rows !== BOX_ROWS + this.classCount) {
      throw outputMismatch(
        this.modelId,
        `output has ${rows} rows per box; expected 4 box values + ${this.classCount} class scores (one per label)`,
        { rows, labels: this.classCount },
      );
    }
  }
}
