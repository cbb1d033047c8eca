import cliProgress from 'cli-progress';

/** How often a plain progress line is written when stderr is not a terminal. */
const PLAIN_EVERY_MS = 2000;

/**
 * Progress on stderr, so that stdout carries only the result. On a terminal it is a cli-progress bar
 * redrawn in place; anywhere else (a pipe, a log file, CI) the bar's control characters would garble
 * the output, so it writes a plain line every two seconds and one at the end.
 */
export class Progress {
  private bar?: cliProgress.SingleBar;
  private stage: string;
  private done = 0;
  private total: number | null = null;
  private lastPlain = '';
  private lastPlainAt = 0;

  constructor(
    stage: string,
    private readonly unit: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.stage = stage;
  }

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  /** `total` is null while it is not known yet (the file is still being counted). */
  update(done: number, total: number | null, stage = this.stage): void {
    this.done = total === null ? done : Math.min(Math.max(done, 0), total);
    this.total = total;
    const newStage = stage !== this.stage;
    this.stage = stage;
    if (this.tty) this.draw();
    else if (newStage || Date.now() - this.lastPlainAt >= PLAIN_EVERY_MS) this.plain();
  }

  /** A line of its own, above the bar. */
  note(message: string): void {
    if (this.bar) this.stream.write('\n');
    this.stream.write(`${message}\n`);
    if (this.bar) this.bar.render();
  }

  /** Leaves the last state on screen (or in the log), ends its line. */
  stop(): void {
    if (this.bar) {
      this.bar.update(this.done, { stage: this.stage });
      this.bar.stop();
      this.bar = undefined;
    } else if (!this.tty) {
      this.plain();
    }
  }

  private draw(): void {
    if (this.total === null || this.total === 0) return;
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stream,
          format: `{stage} [{bar}] {percentage}% | {value}/{total} ${this.unit} | {duration_formatted}`,
          barsize: 30,
          fps: 10,
          clearOnComplete: false,
          // A hidden cursor would stay hidden after Ctrl-C.
          hideCursor: false,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(this.total, this.done, { stage: this.stage });
    }
    this.bar.setTotal(this.total);
    this.bar.update(this.done, { stage: this.stage });
  }

  private plain(): void {
    const line = this.total === null ? `${this.stage}...` : `${this.stage}: ${this.done}/${this.total} ${this.unit} (${this.total ? Math.floor((100 * this.done) / this.total) : 100}%)`;
    this.lastPlainAt = Date.now();
    if (line === this.lastPlain) return;
    this.lastPlain = line;
    this.stream.write(`${line}\n`);
  }
}

/** Calls `tick` every `ms` (skipping a beat while one is in flight) until stopped; stop() runs a last one. */
export function every(ms: number, tick: () => Promise<void>): { stop(): Promise<void> } {
  let inFlight: Promise<void> | null = null;
  // Progress is for the eyes: a failed poll is skipped, the next one will do.
  const fire = () => {
    inFlight ??= tick()
      .catch(() => undefined)
      .finally(() => (inFlight = null));
  };
  const timer = setInterval(fire, ms);
  fire();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
      await tick().catch(() => undefined);
    },
  };
}
