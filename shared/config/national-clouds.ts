/** Microsoft Graph and Entra endpoints per national cloud. https://learn.microsoft.com/en-us/graph/deployments */
export const nationalClouds = {
  global: { graph: 'https://graph.microsoft.com', authority: 'https://login.microsoftonline.com' },
  usgov: { graph: 'https://graph.microsoft.us', authority: 'https://login.microsoftonline.us' },
  usgovdod: { graph: 'https://dod-graph.microsoft.us', authority: 'https://login.microsoftonline.us' },
  china: { graph: 'https://microsoftgraph.chinacloudapi.cn', authority: 'https://login.chinacloudapi.cn' },
} as const;

export type NationalCloud = keyof typeof nationalClouds;

export const nationalCloudNames = Object.keys(nationalClouds) as [NationalCloud, ...NationalCloud[]];
