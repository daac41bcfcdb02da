/**
 * Progress of a long CLI command on stderr: a bar (cli-progress) on a terminal, one plain line
 * every few seconds otherwise (a log file or CI), and always a last line.
 */
import { Presets, SingleBar } from 'cli-progress';

export interface Progress {
  update(done: number, extra?: string): void;
  stop(): void;
}

/** rows/s and ETA, as the bar and the plain lines both show them. */
export function progressLine(
  label: string,
  done: number,
  total: number | null,
  elapsedMs: number,
  extra = '',
): string {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const of = total ? `/${total}` : '';
  const pct = total ? ` (${Math.floor((done * 100) / total)}%)` : '';
  const eta = total && rate > 0 ? `, ETA ${formatSeconds((total - done) / rate)}` : '';
  return `${label}: ${done}${of} rows${pct}, ${Math.round(rate)} rows/s${eta}${extra ? `, ${extra}` : ''}`;
}

function formatSeconds(s: number): string {
  const total = Math.max(0, Math.round(s));
  const m = Math.floor(total / 60);
  return m > 0 ? `${m}m${String(total % 60).padStart(2, '0')}s` : `${total}s`;
}

/** `total` is known for demo:seed; for a file it is the rows, when counted, or null. */
export function createProgress(
  label: string,
  total: number | null,
  stream: NodeJS.WriteStream = process.stderr,
  everyMs = 2000,
): Progress {
  const started = Date.now();
  if (stream.isTTY) {
    const bar = new SingleBar(
      {
        stream,
        format: total
          ? `${label} [{bar}] {percentage}% | {value}/{total} rows | {speed} rows/s | ETA {eta_formatted} {extra}`
          : `${label} {value} rows | {speed} rows/s {extra}`,
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      Presets.shades_classic,
    );
    bar.start(total ?? 0, 0, { speed: 0, extra: '' });
    return {
      update(done, extra = '') {
        const elapsed = Date.now() - started;
        bar.update(done, { speed: elapsed > 0 ? Math.round((done * 1000) / elapsed) : 0, extra });
      },
      stop: () => bar.stop(),
    };
  }
  let last = started;
  let latest = 0;
  let latestExtra = '';
  return {
    update(done, extra = '') {
      latest = done;
      latestExtra = extra;
      const now = Date.now();
      if (now - last < everyMs) return;
      last = now;
      stream.write(progressLine(label, done, total, now - started, extra) + '\n');
    },
    stop() {
      // A command that stopped before its first row (a file it refused) has no progress to show.
      if (latest > 0)
        stream.write(progressLine(label, latest, total, Date.now() - started, latestExtra) + '\n');
    },
  };
}
