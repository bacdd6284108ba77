/**
 * Live progress of the local stack. On a terminal: a block redrawn in place, each line cut to the
 * terminal's width so nothing wraps (a wrapped line would be counted as one and leave debris on
 * every redraw). Otherwise (CI, a pipe, a log file): short plain lines, each printed only when it
 * changed. Once done() is called, nothing is redrawn, so a summary printed after it stays.
 */
import type { WriteStream } from 'node:tty';

export class Progress {
  private lines: string[] = [];
  private drawn = 0;
  private isClosed = false;
  private readonly lastPlain = new Map<string, string>();

  constructor(private readonly out: NodeJS.WriteStream | WriteStream = process.stdout) {}

  get interactive(): boolean {
    return Boolean(this.out.isTTY);
  }

  /** done() was called: callers stop building what they would show. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** A line that stays (a note, a warning), printed above the live block. */
  note(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
    this.draw();
  }

  /**
   * `block`: what a terminal shows in place; `plain`: the lines a non-terminal gets, each keyed by
   * its first word and printed when it differs from the last one printed for that key.
   */
  update(block: string[], plain: string[] = block): void {
    if (this.isClosed) return;
    if (this.interactive) {
      this.lines = block;
      this.clear();
      this.draw();
      return;
    }
    const time = new Date().toISOString().slice(11, 19);
    for (const line of plain) {
      const key = line.split(' ')[0];
      if (this.lastPlain.get(key) === line) continue;
      this.lastPlain.set(key, line);
      this.out.write(`${time} ${line}\n`);
    }
  }

  /** Leaves the last block on screen and stops redrawing it: a late update is ignored. */
  done(): void {
    this.isClosed = true;
    this.drawn = 0;
    this.lines = [];
  }

  private clear(): void {
    if (!this.interactive || this.drawn === 0) return;
    this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (!this.interactive || this.lines.length === 0) return;
    const width = Math.max(20, (this.out.columns ?? 80) - 1);
    this.out.write(`${this.lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l)).join('\n')}\n`);
    this.drawn = this.lines.length;
  }
}
