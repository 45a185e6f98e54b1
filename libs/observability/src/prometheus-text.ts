/**
 * A reader for the Prometheus text exposition format (what every service serves on `/metrics`): enough to pick
 * samples by name and labels. Comments, `# HELP`/`# TYPE` lines and timestamps are ignored.
 */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

export function parsePrometheusText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) continue;
    const labels = match[2] === undefined ? {} : parseLabels(match[2]);
    if (!labels) continue;
    samples.push({ name: match[1], labels, value: parseValue(match[3]) });
  }
  return samples;
}

/** Samples of one metric whose labels include every given label. */
export function selectSamples(samples: readonly MetricSample[], name: string, labels: Record<string, string> = {}): MetricSample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function parseLabels(body: string): Record<string, string> | undefined {
  const text = body.trim();
  const labels: Record<string, string> = {};
  LABEL_PAIR.lastIndex = 0;
  let consumed = 0;
  for (let m = LABEL_PAIR.exec(text); m; m = LABEL_PAIR.exec(text)) {
    labels[m[1]] = m[2].replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    consumed = LABEL_PAIR.lastIndex;
  }
  // A label set we could not read entirely is skipped rather than half-read.
  return consumed === text.length ? labels : undefined;
}

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    default:
      return Number(text);
  }
}

/** Sum of the samples of one metric whose labels include every given label (0 when none). */
export function sumSamples(samples: readonly MetricSample[], name: string, labels: Record<string, string> = {}): number {
  return selectSamples(samples, name, labels).reduce((sum, s) => sum + s.value, 0);
}
