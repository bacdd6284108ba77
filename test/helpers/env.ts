/** A complete, valid set of app settings for tests, pointing at the given storage. */
export function validEnv(connectionString: string, overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AzureWebJobsStorage: connectionString,
    ARCHIVE_SCHEDULE: '0 0 2 * * *',
    ARCHIVE_CONNECTORS: 'enterprise,o2,whatsapp',
    CONNECTOR__ENTERPRISE__PRODUCT: 'enterprise-number',
    CONNECTOR__ENTERPRISE__ARCHIVER_URL: 'http://127.0.0.1:9/enterprise',
    CONNECTOR__ENTERPRISE__USERNAME: 'test-user',
    CONNECTOR__ENTERPRISE__PASSWORD: 'test-only-password',
    CONNECTOR__O2__PRODUCT: 'o2-network',
    CONNECTOR__O2__ARCHIVER_URL: 'http://127.0.0.1:9/o2',
    CONNECTOR__O2__USERNAME: 'test-user',
    CONNECTOR__O2__PASSWORD: 'test-only-password',
    CONNECTOR__WHATSAPP__PRODUCT: 'whatsapp',
    CONNECTOR__WHATSAPP__ARCHIVER_URL: 'http://127.0.0.1:9/whatsapp',
    CONNECTOR__WHATSAPP__USERNAME: 'test-user',
    CONNECTOR__WHATSAPP__PASSWORD: 'test-only-password',
    ...overrides,
  };
}
