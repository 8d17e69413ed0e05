import type { McpServerSpec } from './resources.js';

/** The example server seeded into an empty store: a direct-response tool, like Higress's mcp-time. */
export const TIME_SERVER: McpServerSpec = {
  name: 'time',
  type: 'http-to-mcp',
  description: 'Current date and time in any IANA time zone (example server)',
  enabled: true,
  tools: `server:
  name: time
tools:
  - name: get-current-time
    description: >-
      Returns the current date, time and day of the week. Use it whenever you need today's date or
      the time, since you have no clock of your own.
    args:
      - name: timeZone
        description: IANA time zone name, such as America/New_York, Europe/London or Asia/Shanghai.
        type: string
        default: UTC
    responseTemplate:
      body: '{{ dateInZone "Monday, 2006-01-02 15:04:05 MST" now .args.timeZone }}'
`,
};
