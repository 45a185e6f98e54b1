/**
 * Tracking quality against ground truth: CLEAR-MOT (Bernardin & Stiefelhagen 2008: MOTA, MOTP, ID switches) and
 * the identity measures of Ristani et al. 2016 (IDF1, IDP, IDR). A hypothesis box matches a ground-truth box when
 * their IoU is at least `minIou`. Per frame, correspondences of the previous frame are kept while still valid, the
 * rest are matched by the Hungarian algorithm on 1 − IoU; a ground-truth object matched to a different hypothesis
 * than the last one it was matched to is an ID switch. IDF1 matches ids once over the whole sequence, maximising
 * the frames on which the paired objects overlap (IDTP).
 */
import { type Box } from '@sightline/contracts';
import { assign } from './assignment.js';
import { iou } from './geometry.js';

export interface LabelledBox {
  id: number;
  box: Box;
}

export interface MotFrame {
  truth: readonly LabelledBox[];
  hypotheses: readonly LabelledBox[];
}

export interface MotSummary {
  frames: number;
  /** Ground-truth boxes over all frames. */
  truthBoxes: number;
  hypothesisBoxes: number;
  matches: number;
  misses: number;
  falsePositives: number;
  idSwitches: number;
  /** 1 − (misses + false positives + ID switches) / ground-truth boxes. */
  mota: number;
  /** Mean IoU of the matches. */
  motp: number;
  idtp: number;
  idf1: number;
  idPrecision: number;
  idRecall: number;
}

export function evaluateMot(frames: readonly MotFrame[], minIou = 0.5): MotSummary {
  let truthBoxes = 0;
  let hypothesisBoxes = 0;
  let matches = 0;
  let idSwitches = 0;
  let iouSum = 0;
  const lastMatch = new Map<number, number>(); // truth id → hypothesis id it was last matched to
  let previous = new Map<number, number>(); // correspondences of the previous frame

  for (const { truth, hypotheses } of frames) {
    truthBoxes += truth.length;
    hypothesisBoxes += hypotheses.length;
    const current = new Map<number, number>();
    const usedHyp = new Set<number>();
    // Keep last frame's pairs that still overlap enough.
    for (const t of truth) {
      const hypId = previous.get(t.id);
      const h = hypotheses.find((x) => x.id === hypId);
      if (h && iou(t.box, h.box) >= minIou) {
        current.set(t.id, h.id);
        usedHyp.add(h.id);
      }
    }
    const freeTruth = truth.filter((t) => !current.has(t.id));
    const freeHyp = hypotheses.filter((h) => !usedHyp.has(h.id));
    const cost = freeTruth.map((t) => freeHyp.map((h) => 1 - iou(t.box, h.box)));
    for (const [r, c] of assign(cost, freeTruth.length, freeHyp.length, 1 - minIou).matches) current.set(freeTruth[r]!.id, freeHyp[c]!.id);

    for (const [truthId, hypId] of current) {
      const before = lastMatch.get(truthId);
      if (before !== undefined && before !== hypId) idSwitches++;
      lastMatch.set(truthId, hypId);
      iouSum += iou(truth.find((t) => t.id === truthId)!.box, hypotheses.find((h) => h.id === hypId)!.box);
    }
    matches += current.size;
    previous = current;
  }

  const misses = truthBoxes - matches;
  const falsePositives = hypothesisBoxes - matches;
  const idtp = identityTruePositives(frames, minIou);
  return {
    frames: frames.length,
    truthBoxes,
    hypothesisBoxes,
    matches,
    misses,
    falsePositives,
    idSwitches,
    mota: truthBoxes ? 1 - (misses + falsePositives + idSwitches) / truthBoxes : 0,
    motp: matches ? iouSum / matches : 0,
    idtp,
    idf1: truthBoxes + hypothesisBoxes ? (2 * idtp) / (truthBoxes + hypothesisBoxes) : 0,
    idPrecision: hypothesisBoxes ? idtp / hypothesisBoxes : 0,
    idRecall: truthBoxes ? idtp / truthBoxes : 0,
  };
}

/** The most frames that a one-to-one pairing of truth ids with hypothesis ids gets overlapping. */
function identityTruePositives(frames: readonly MotFrame[], minIou: number): number {
  const truthIds = [...new Set(frames.flatMap((f) => f.truth.map((t) => t.id)))];
  const hypIds = [...new Set(frames.flatMap((f) => f.hypotheses.map((h) => h.id)))];
  const overlap = truthIds.map(() => new Array<number>(hypIds.length).fill(0));
  const truthIndex = new Map(truthIds.map((id, i) => [id, i]));
  const hypIndex = new Map(hypIds.map((id, i) => [id, i]));
  for (const { truth, hypotheses } of frames) {
    for (const t of truth) {
      for (const h of hypotheses) if (iou(t.box, h.box) >= minIou) overlap[truthIndex.get(t.id)!]![hypIndex.get(h.id)!]!++;
    }
  }
  const most = Math.max(0, ...overlap.flat());
  // Maximising overlap = minimising (most − overlap); pairs that never overlap add nothing, so they are gated out.
  const cost = overlap.map((row) => row.map((n) => (n > 0 ? most - n : Infinity)));
  return assign(cost, truthIds.length, hypIds.length, most).matches.reduce((sum, [r, c]) => sum + overlap[r]![c]!, 0);
}
