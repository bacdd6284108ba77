// Alerts an operator needs without reading code. Every rule reads a signal that sampling never drops:
// the app's own metrics (customMetrics; the OpenTelemetry distro samples traces, never metrics) or
// the Event Grid topic's platform metrics. The metrics are written by shared/telemetry/metrics.ts.
// Log search alert windows: https://learn.microsoft.com/en-us/azure/azure-monitor/alerts/resource-manager-alerts-log
// Event Grid system topic metrics: https://learn.microsoft.com/en-us/azure/azure-monitor/reference/supported-metrics/microsoft-eventgrid-systemtopics-metrics
param location string
param tags object
param appInsightsId string
param eventGridTopicId string
param alertEmail string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-mobile-archive'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'mobarchive'
    enabled: true
    emailReceivers: [{ name: 'operators', emailAddress: alertEmail, useCommonAlertSchema: true }]
  }
}

var actionGroups = empty(alertEmail) ? [] : [actionGroup.id]

// Each query returns one row per thing that is wrong; the rule fires on any row.
var rules = [
  {
    name: 'poison-queue-not-empty'
    description: 'A fetch, convert or import job (or a blob trigger) failed maxDequeueCount times and sits in a poison queue. The reconciliation sweep measures the poison queues every hour.'
    severity: 1
    window: 'PT2H'
    frequency: 'PT15M'
    query: 'customMetrics | where name == "mac.queue.poison.messages" | summarize messages = max(value) by queue = tostring(customDimensions.queue) | where messages > 0'
  }
  {
    name: 'items-failed'
    description: 'Items failed a stage (fetch, convert or import) and were dead-lettered with their reason (deadletters table, run report).'
    severity: 2
    window: 'PT1H'
    frequency: 'PT15M'
    query: 'customMetrics | where name == "mac.items.failed" | summarize failed = sum(valueSum) by connector = tostring(customDimensions.connector), stage = tostring(customDimensions.stage) | where failed > 0'
  }
  {
    name: 'connector-unavailable'
    description: 'A connector was skipped because one of its settings is missing or unreadable (e.g. an unresolved Key Vault reference); the other connectors run.'
    severity: 1
    window: 'PT1H'
    frequency: 'PT15M'
    query: 'customMetrics | where name == "mac.connectors.unavailable" | summarize skipped = sum(valueSum) by connector = tostring(customDimensions.connector) | where skipped > 0'
  }
  {
    name: 'stranded-items-found'
    description: 'The reconciliation sweep found raw items never converted, or converted items never imported (a lost blob event or job), and queued them again.'
    severity: 2
    window: 'PT2H'
    frequency: 'PT1H'
    query: 'customMetrics | where name == "mac.items.reconciled" | summarize requeued = sum(valueSum) by connector = tostring(customDimensions.connector), stage = tostring(customDimensions.stage) | where requeued > 0'
  }
  {
    // Log search windows go up to two days, so "nothing for 26 hours" is asked of the last completion.
    name: 'no-complete-window-26h'
    description: 'No connector window was fetched completely in 26 hours: the daily run did not happen or did not finish.'
    severity: 1
    window: 'P2D'
    frequency: 'PT1H'
    query: 'customMetrics | where name == "mac.windows.completed" | summarize last = max(timestamp) | where isnull(last) or last < ago(26h)'
  }
]

resource logAlerts 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = [for r in rules: {
  name: 'alert-mobile-archive-${r.name}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    description: r.description
    severity: r.severity
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: r.frequency
    windowSize: r.window
    criteria: {
      allOf: [
        {
          query: r.query
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: actionGroups }
  }
}]

// Blob events Event Grid gave up on (dead-lettered) or dropped: items the converter never heard of
// until the reconciliation sweep finds them.
var topicMetrics = ['DeadLetteredCount', 'DroppedEventCount']

resource eventAlerts 'Microsoft.Insights/metricAlerts@2018-03-01' = [for m in topicMetrics: {
  name: 'alert-mobile-archive-eventgrid-${toLower(m)}'
  location: 'global'
  tags: tags
  properties: {
    description: 'Event Grid could not deliver blob-created events to the app (${m}); see the eventgrid-deadletters container.'
    severity: 2
    enabled: true
    scopes: [eventGridTopicId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          name: m
          criterionType: 'StaticThresholdCriterion'
          metricName: m
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Total'
        }
      ]
    }
    actions: [for id in actionGroups: { actionGroupId: id }]
  }
}]
