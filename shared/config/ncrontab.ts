/**
 * NCRONTAB, the schedule format of Azure Functions timer triggers: six fields,
 * {second} {minute} {hour} {day} {month} {day-of-week}, evaluated in UTC unless
 * WEBSITE_TIME_ZONE says otherwise (we always use UTC).
 * https://learn.microsoft.com/en-us/azure/azure-functions/functions-bindings-timer#ncrontab-expressions
 * cron-parser accepts the same six-field form, so we parse with it rather than by hand.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';

export function parseNcrontab(expression: string, currentDate: Date = new Date()): CronExpression {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(`must be a 6-field NCRONTAB expression "{second} {minute} {hour} {day} {month} {day-of-week}", got ${fields.length} field(s)`);
  }
  try {
    return CronExpressionParser.parse(fields.join(' '), { currentDate, tz: 'UTC' });
  } catch (e) {
    throw new Error(`is not a valid NCRONTAB expression: ${(e as Error).message}`, { cause: e });
  }
}

/** The first occurrence strictly after `after`. */
export function nextOccurrence(expression: string, after: Date): Date {
  return parseNcrontab(expression, after).next().toDate();
}
