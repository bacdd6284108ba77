import { allContainers, allQueues, allTables, containers } from './names';

/** What the Bicep provisions (infra/storage-layout.json): everything the app uses, and which containers may be made immutable. */
export function infraLayout() {
  return {
    containers: [...allContainers],
    queues: [...allQueues],
    tables: [...allTables],
    // The compliance record: what was received and what was produced from it.
    immutableContainers: [containers.rawItems, containers.rawAttachments, containers.mime],
    // Where Event Grid dead-letters the blob events it could not deliver (infra/app/events.bicep).
    eventGridDeadLetterContainer: containers.eventGridDeadLetters,
  };
}
