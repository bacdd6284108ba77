/** How a bad setting is reported: by name (never by a secret's value), all of them at once. */

export type Env = Readonly<Record<string, string | undefined>>;

/** Names the setting (never its value, which may be a secret) and says what is wrong. */
export interface SettingProblem {
  setting: string;
  problem: string;
}

export class SettingsError extends Error {
  constructor(readonly problems: readonly SettingProblem[]) {
    super(`Invalid app settings (${problems.length}):\n` + problems.map((p) => `  - ${p.setting}: ${p.problem}`).join('\n'));
    this.name = 'SettingsError';
  }
}

/** A value as it may be quoted back in a problem (only for settings that are not secrets). */
export function shown(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}
