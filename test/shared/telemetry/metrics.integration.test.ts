import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  METRIC_NAMES,
  countConnectorUnavailable,
  countItem,
  countReconciled,
  countWindowCompleted,
  recordPoisonMessages,
} from '../../../shared/telemetry/metrics';
import { RunStatusStore } from '../../../shared/runs/run-status';
import { tables } from '../../../shared/storage/names';
import { startImportFixture, convertFixture, runImport, type ImportFixture } from '../../helpers/import-fixture';
import { fixtureItems } from '../../fixtures/items';

describe('telemetry: custom metrics per connector and stage', () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({ readers: [reader] });
  let f: ImportFixture;

  before(async () => {
    metrics.setGlobalMeterProvider(provider);
    f = await startImportFixture({ rate429: 0.3, retryAfterSeconds: 0, seed: 7 });
  });
  after(async () => {
    await provider.shutdown();
    metrics.disable();
    await f.stop();
  });

  async function collected(): Promise<Map<string, { connector: unknown; stage: unknown; queue: unknown; value: number }[]>> {
    await reader.forceFlush();
    const out = new Map<string, { connector: unknown; stage: unknown; queue: unknown; value: number }[]>();
    for (const rm of exporter.getMetrics()) {
      for (const sm of rm.scopeMetrics) {
        for (const m of sm.metrics) {
          out.set(
            m.descriptor.name,
            m.dataPoints.map((p) => ({ connector: p.attributes.connector, stage: p.attributes.stage, queue: p.attributes.queue, value: p.value as number })),
          );
        }
      }
    }
    return out;
  }

  it('emits every pipeline metric with its connector dimension', async () => {
    const status = new RunStatusStore(f.ts.storage.table(tables.runStatus), countItem);
    await status.recordItem('run', 'o2', 'fetch', 'a', 'written');
    await status.recordItem('run', 'o2', 'fetch', 'b', 'present');
    await status.recordItem('run', 'whatsapp', 'convert', 'c', 'failed', { reason: 'bad' });
    // A real import through the simulator, which throttles 30% of requests: converted, imported,
    // bytes and throttled counts come from the pipeline itself.
    const item = structuredClone(fixtureItems.find((x) => x.raw.type === 'chat')!);
    item.raw.id = 'telemetry-item';
    await runImport(f, await convertFixture(f, item));
    const unmapped = structuredClone(fixtureItems.find((x) => x.raw.type === 'sms' && x.product === 'enterprise-number')!);
    unmapped.raw.id = 'telemetry-unmapped';
    unmapped.raw.participants = [{ number: '+12025550150', name: 'Harbor Capital', email: null }];
    unmapped.raw.from = '+12025550150';
    await runImport(f, await convertFixture(f, unmapped));

    // The operations signals the alerts read (infra/app/alerts.bicep).
    countWindowCompleted('o2');
    countConnectorUnavailable('whatsapp');
    countReconciled('o2', 'convert', 2);
    countReconciled('o2', 'import', 0);
    recordPoisonMessages('import-jobs-poison', 3);

    const got = await collected();
    for (const name of Object.values(METRIC_NAMES)) assert.ok(got.has(name), `metric ${name} was emitted`);
    const sum = (name: string, connector: string) => (got.get(name) ?? []).filter((p) => p.connector === connector).reduce((n, p) => n + p.value, 0);
    assert.equal(sum(METRIC_NAMES.fetched, 'o2'), 1);
    assert.equal(sum(METRIC_NAMES.duplicates, 'o2'), 1);
    assert.equal(sum(METRIC_NAMES.failed, 'whatsapp'), 1);
    assert.equal(sum(METRIC_NAMES.converted, 'enterprise'), 2);
    assert.equal(sum(METRIC_NAMES.imported, 'enterprise'), 3, 'three mailbox copies of the chat');
    assert.equal(sum(METRIC_NAMES.unmapped, 'enterprise'), 1);
    assert.ok(sum(METRIC_NAMES.bytesImported, 'enterprise') > 3000);
    assert.ok(sum(METRIC_NAMES.throttled, 'enterprise') > 0, 'throttled responses are attributed to the connector');
    assert.equal(sum(METRIC_NAMES.windowsCompleted, 'o2'), 1);
    assert.equal(sum(METRIC_NAMES.connectorsUnavailable, 'whatsapp'), 1);
    assert.deepEqual(
      got.get(METRIC_NAMES.reconciled)?.map((p) => [p.connector, p.stage, p.value]),
      [['o2', 'convert', 2]],
      'nothing is emitted for zero',
    );
    assert.deepEqual(
      got.get(METRIC_NAMES.poisonMessages)?.map((p) => [p.queue, p.value]),
      [['import-jobs-poison', 3]],
    );
    for (const [name, points] of got) if (name !== METRIC_NAMES.poisonMessages) for (const p of points) assert.equal(typeof p.stage, 'string');
  });
});
