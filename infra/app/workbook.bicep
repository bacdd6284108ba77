// An Azure Monitor workbook that shows a day's pipeline at a glance: items per stage and connector,
// failures, unmapped items, Graph throttling and poison messages.
param name string
param location string
param tags object
param appInsightsId string

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(name)
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: name
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: loadTextContent('workbook.json')
  }
}
