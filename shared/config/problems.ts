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

/**
 * A value as it may be quoted back in a problem (only for settings that are not secrets). Even
 * then a value can carry a secret by mistake (a URL with user:password@, a connection string's
 * AccountKey, a SAS `sig`): those parts are masked before anything is shown.
 */
export function shown(value: string): string {
  const masked = value
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]*@/gi, '$1***@')
    .replace(/\b(AccountKey|SharedAccessSignature|SharedAccessKey|sig|password|pwd|secret|token|client_secret)=([^;&\s]+)/gi, '$1=***');
  return masked.length > 60 ? `${masked.slice(0, 57)}...` : masked;
}
