/** A uPlot time-series chart that follows its container's width and takes new data without being rebuilt. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Tick steps for per-second bars: never below one second. */
const WHOLE_SECOND_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];

export interface TimeChartProps {
  /** [x in epoch seconds, y]. */
  data: [number[], number[]];
  label: string;
  height: number;
  /** Bars per x (counts per second) instead of a line. */
  bars?: boolean;
  /** No axes, legend or cursor: a sparkline. */
  compact?: boolean;
  unit?: string;
}

export function TimeChart({ data, label, height, bars = false, compact = false, unit = '' }: TimeChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);

  useEffect(() => {
    const element = container.current!;
    const options: uPlot.Options = {
      width: Math.max(100, element.clientWidth),
      height,
      legend: { show: !compact },
      cursor: compact ? { show: false } : {},
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
      axes: compact
        ? [{ show: false }, { show: false }]
        : [bars ? { incrs: WHOLE_SECOND_STEPS } : {}, { values: (_u, ticks) => ticks.map((t) => `${t}${unit}`) }],
      series: [
        {},
        {
          label,
          stroke: '#1e88e5',
          width: 1.5,
          fill: 'rgba(30, 136, 229, 0.15)',
          ...(bars && { paths: uPlot.paths.bars!({ size: [0.8, 40] }), points: { show: false } }),
          ...(compact && { points: { show: false } }),
        },
      ],
    };
    plot.current = new uPlot(options, data, element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(100, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = undefined;
    };
    // Built once per shape; data updates go through setData below.
  }, [height, bars, compact, label, unit]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return <div ref={container} class="chart" aria-label={label} data-points={data[0].length} />;
}
