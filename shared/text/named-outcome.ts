/**
 * Failure reasons lead with a named outcome, `attachment-gone: attachment a1: ...`, so the run
 * report can count them and an operator can look the name up (docs/operations.md). One rule for
 * what a name is, used by the errors that carry one, the dead letters and the report.
 */
const OUTCOME = /^([a-z]+(?:-[a-z]+)+): /;

/** The named outcome a reason starts with, if any. */
export function outcomeOf(reason: string): string | undefined {
  return OUTCOME.exec(reason)?.[1];
}

/** `reason` led by `outcome`, unless it already starts with a name (one from deeper down says more). */
export function namedReason(outcome: string, reason: string): string {
  return outcomeOf(reason) ? reason : `${outcome}: ${reason}`;
}

/** An error whose message starts with its named outcome, the `code`. */
export class NamedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    reason: string,
  ) {
    super(`${code}: ${reason}`);
    this.name = new.target.name;
  }
}
