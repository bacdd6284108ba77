/**
 * Timer trigger semantics for the dev host: the schedule is an NCRONTAB expression in UTC, and
 * `%SettingName%` is replaced by that app setting's value, as the Functions host does.
 * https://learn.microsoft.com/en-us/azure/azure-functions/functions-bindings-timer#ncrontab-expressions
 */
import { nextOccurrence } from '../../../shared/config/ncrontab';

export interface TimerInput {
  schedule: { adjustForDST: boolean };
  scheduleStatus: { last: string; next: string; lastUpdated: string };
  isPastDue: boolean;
}

/** Resolves `%Name%` tokens from the settings; an unset setting is an error, as in the host. */
export function resolveSettingTokens(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') throw new Error(`the binding refers to %${name}%, but the app setting ${name} is not set`);
    return v;
  });
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class TimerListener {
  private timer?: NodeJS.Timeout;
  private last?: Date;
  private stopped = false;

  constructor(
    private readonly schedule: string,
    private readonly fire: (input: TimerInput) => Promise<void>,
    private readonly now: () => Date = () => new Date(),
  ) {
    nextOccurrence(schedule, now()); // fail now on a bad schedule, not at the first tick
  }

  start(): void {
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** The input a run started now would get (used for manual runs too). */
  input(): TimerInput {
    const now = this.now();
    return {
      schedule: { adjustForDST: false },
      scheduleStatus: {
        last: (this.last ?? now).toISOString(),
        next: nextOccurrence(this.schedule, now).toISOString(),
        lastUpdated: now.toISOString(),
      },
      isPastDue: false,
    };
  }

  private arm(): void {
    if (this.stopped) return;
    const due = nextOccurrence(this.schedule, this.now());
    const wait = Math.min(Math.max(0, due.getTime() - this.now().getTime()), MAX_TIMEOUT_MS);
    this.timer = setTimeout(() => {
      if (this.now() < due) return this.arm();
      const input = this.input();
      this.last = due;
      // Errors are reported by the invoker; the schedule goes on regardless, as in the host.
      this.fire(input)
        .catch(() => undefined)
        .finally(() => this.arm());
    }, wait);
  }
}
