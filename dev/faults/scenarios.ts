/**
 * The fault matrix of `npm run test:faults`: each scenario runs one archive cycle of the three API
 * connectors (`npm start -- --once --attach`) against Azurite and the two simulators with faults
 * switched on, then is audited against the clean baseline's mailbox copies. `quick` scenarios also
 * run in `npm test` (test/dev/faults.integration.test.ts); the others wait out the host's retries.
 */

export interface Scenario {
  name: string;
  /** What is done to the pipeline, for the table. */
  faults: string;
  /** ARCHIVER_SIM_FAULTS and GRAPH_SIM_FAULTS (dev/stack/*-sim/options.ts). */
  archiver?: string;
  graph?: string;
  /** App settings for this scenario on top of the suite's. */
  env?: Record<string, string>;
  /** Named outcomes the report must show: the failures this scenario causes on purpose. */
  expectOutcomes?: string[];
  /** Every fault is absorbed: the report is ok and `npm start -- --once` exits 0. */
  expectOk?: boolean;
  /** kill -9 of the app's process group this many times, at seeded random points, before the run that finishes. */
  kills?: number;
  /** Every import job and blob-trigger work item is delivered a second time, at once. */
  duplicateDeliveries?: boolean;
  /** Malformed queue messages and a corrupt raw blob are put in before the cycle. */
  malformed?: boolean;
  quick?: boolean;
}

export const BASELINE = 'clean';

export const scenarios: readonly Scenario[] = [
  { name: BASELINE, faults: 'none: the ground truth every other scenario is audited against', expectOk: true, quick: true },
  {
    name: 'archiver-transient',
    faults: '429, 500, 503, reset downloads, expired tokens, duplicates across pages, slow answers',
    archiver: 'rate429=0.15,rate500=0.05,rate503=0.1,resetDownloads=1,tokenExpiryRate=0.1,duplicatesAcrossPages=true,slowRate=0.1,slowMs=400',
    expectOk: true,
    quick: true,
  },
  {
    name: 'archiver-bad-items',
    faults: 'attachments answering 404, ending short, stalling after their headers; pages cut short',
    archiver: 'goneAttachmentRate=0.2,shortAttachmentRate=0.2,stalledAttachmentRate=0.2,cutPageRate=0.2',
    expectOutcomes: ['attachment-gone', 'attachment-incomplete', 'page-incomplete'],
  },
  {
    name: 'archiver-endless-cursor',
    faults: 'every page hands out the first cursor again',
    archiver: 'endlessCursor=true',
    expectOutcomes: ['cursor-not-advancing'],
  },
  {
    name: 'archiver-trickle',
    faults: 'item pages trickle one byte every 50 ms (the idle timeout is 3 s)',
    archiver: 'trickleMs=50',
    expectOutcomes: ['page-incomplete'],
  },
  {
    name: 'archiver-not-json',
    faults: 'the sign-in answers 200 with an HTML page',
    archiver: 'signInNotJson=true',
    expectOutcomes: ['archiver-protocol'],
  },
  {
    name: 'archiver-huge-lines',
    faults: 'the first line of every page is 3 MB (FETCH_MAX_LINE_KB is 1024)',
    archiver: 'hugeLineBytes=3145728',
    expectOutcomes: ['line-too-long'],
  },
  {
    name: 'graph-transient',
    faults: '429, 500, 503, 504, connections dropped before and after a committed create',
    graph: 'rate429=0.1,rate500=0.03,rate503=0.05,rate504=0.03,rateTimeout=0.03,rateTimeoutAfterCommit=0.05,rate503AfterCommit=0.05',
    expectOk: true,
    quick: true,
  },
  {
    name: 'graph-one-mailbox-down',
    faults: "every request for one mailbox answers 500 (the others' copies must land)",
    graph: 'failUsers=olivia.bennett@contoso.onmicrosoft.example',
    expectOutcomes: ['import-failed'],
  },
  {
    name: 'duplicate-deliveries',
    faults: 'every import job and blob event delivered twice, at once',
    duplicateDeliveries: true,
    expectOk: true,
    quick: true,
  },
  {
    name: 'kill-9',
    faults: 'kill -9 of the app 3 times at random points (Azurite and simulators outside its process group)',
    kills: 3,
    env: { IMPORT_CLAIM_LEASE_SECONDS: '20' },
    expectOk: true,
  },
  {
    name: 'malformed-input',
    faults: 'unreadable and invalid import jobs (a ".." path, an unknown connector), an unreadable fetch job, a corrupt raw item',
    malformed: true,
  },
];
