import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, selectSamples } from './prometheus-text.js';

describe('parsePrometheusText', () => {
  it('reads what prom-client serves: labels, histograms, default labels', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ service: 'inference' });
    new Gauge({ name: 'sightline_gpu_utilization_ratio', help: 'h', labelNames: ['gpu'], registers: [registry] }).set({ gpu: '0' }, 0.75);
    const handle = new Histogram({
      name: 'sightline_consumer_handle_seconds',
      help: 'h',
      labelNames: ['stream', 'consumer'],
      buckets: [0.01, 0.1],
      registers: [registry],
    });
    handle.observe({ stream: 'FRAMES', consumer: 'inference' }, 0.05);
    handle.observe({ stream: 'FRAMES', consumer: 'inference' }, 0.25);
    new Counter({ name: 'odd_total', help: 'h', labelNames: ['path'], registers: [registry] }).inc(
      { path: 'a "quoted" \\ value\nnext' },
      3,
    );

    const samples = parsePrometheusText(await registry.metrics());

    expect(selectSamples(samples, 'sightline_gpu_utilization_ratio')).toEqual([
      { name: 'sightline_gpu_utilization_ratio', labels: { gpu: '0', service: 'inference' }, value: 0.75 },
    ]);
    expect(selectSamples(samples, 'sightline_consumer_handle_seconds_sum', { consumer: 'inference' })[0].value).toBeCloseTo(0.3);
    expect(selectSamples(samples, 'sightline_consumer_handle_seconds_bucket', { le: '+Inf' })[0].value).toBe(2);
    expect(selectSamples(samples, 'odd_total')[0].labels.path).toBe('a "quoted" \\ value\nnext');
    expect(selectSamples(samples, 'sightline_consumer_handle_seconds_sum', { consumer: 'persistence' })).toEqual([]);
  });

  it('skips comments, timestamps and lines it cannot read, and keeps special values', () => {
    const samples = parsePrometheusText(
      ['# HELP x help', '# TYPE x gauge', 'x 1 1700000000000', 'y{a="1"} +Inf', 'z{broken 3', 'w NaN', ''].join('\n'),
    );
    expect(samples.map((s) => [s.name, s.value])).toEqual([
      ['x', 1],
      ['y', Infinity],
      ['w', NaN],
    ]);
  });
});
