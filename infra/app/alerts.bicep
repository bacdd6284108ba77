// Alerts an operator needs without reading code: a job or blob moved to a poison queue, imports that
// failed, and no window fetched completely for 26 hours (the daily run did not happen or failed).
param location string
param tags object
param appInsightsId string
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

var rules = [
  {
    name: 'poison-queue-not-empty'
    description: 'A fetch job, import job or new blob failed maxDequeueCount times and was moved to a poison queue.'
    severity: 1
    window: 'PT15M'
    query: 'traces | where message has "Moving message to queue" and message has "-poison" or message has "webjobs-blobtrigger-poison"'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'failed-imports'
    description: 'Mailbox copies failed and were dead-lettered (see the deadletters table).'
    severity: 2
    window: 'PT1H'
    query: 'customMetrics | where name == "mac.items.failed" and tostring(customDimensions.stage) == "import" | summarize failed = sum(valueSum) | where failed > 0'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'no-successful-run-26h'
    description: 'No connector window was fetched completely in 26 hours.'
    severity: 1
    window: 'PT26H'
    query: 'traces | where message has "fetched completely"'
    operator: 'Equal'
    threshold: 0
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = [for r in rules: {
  name: 'alert-mobile-archive-${r.name}'
  location: location
  tags: tags
  properties: {
    description: r.description
    severity: r.severity
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: r.window == 'PT26H' ? 'PT1H' : 'PT5M'
    windowSize: r.window
    criteria: {
      allOf: [
        {
          query: r.query
          timeAggregation: 'Count'
          operator: r.operator
          threshold: r.threshold
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: empty(alertEmail) ? [] : [actionGroup.id] }
  }
}]
