/**
 * Live progress of the local stack: on a terminal, a block redrawn in place; otherwise (CI, a
 * pipe) plain lines, printed only when something changed.
 */
import type { WriteStream } from 'node:tty';

export class Progress {
  private lines: string[] = [];
  private drawn = 0;
  private lastPlain = '';

  constructor(private readonly out: NodeJS.WriteStream | WriteStream = process.stdout) {}

  get interactive(): boolean {
    return Boolean(this.out.isTTY);
  }

  /** A line that stays (a note, a warning), printed above the live block. */
  note(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
    this.draw();
  }

  update(lines: string[]): void {
    this.lines = lines;
    if (this.interactive) {
      this.clear();
      this.draw();
      return;
    }
    const plain = lines.join(' | ');
    if (plain !== this.lastPlain) {
      this.out.write(`${new Date().toISOString()} ${plain}\n`);
      this.lastPlain = plain;
    }
  }

  /** Leaves the last block on screen and stops redrawing it. */
  done(): void {
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
    this.out.write(`${this.lines.join('\n')}\n`);
    this.drawn = this.lines.length;
  }
}
