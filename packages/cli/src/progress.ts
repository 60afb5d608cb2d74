import { Presets, SingleBar } from 'cli-progress';

/** How far a long command is; a no-op when there is no terminal to draw on. */
export interface Progress {
  advance(n: number): void;
  stop(): void;
}

const SILENT: Progress = {
  advance: () => undefined,
  stop: () => undefined,
};

/** A progress bar with the rate and the ETA, drawn on `stream` (a terminal), or nothing without one. */
export function createProgress(stream: NodeJS.WritableStream | undefined, total: number, unit: string): Progress {
  if (stream === undefined || total === 0) return SILENT;
  const bar = new SingleBar(
    {
      stream,
      format: `{bar} {percentage}% | {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 200,
      fps: 5,
    },
    Presets.shades_classic,
  );
  const started = Date.now();
  let value = 0;
  bar.start(total, 0, { rate: '0' });
  return {
    advance(n: number): void {
      value += n;
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      bar.update(value, { rate: Math.round(value / seconds).toLocaleString('en-US') });
    },
    stop(): void {
      bar.stop();
    },
  };
}
