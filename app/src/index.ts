// gradstream-cli as a library: the Node-only consumers of metric events that the `gradstream` command
// uses, for users' own pipelines. Named re-exports only.
export { serveDashboard, type Dashboard, type DashboardClient, type DashboardRun, type ServeDashboardOptions } from './dashboard/serveDashboard.js';
export { followRun, type FollowRunOptions } from './dashboard/followRun.js';
export { lossChartSpec, type LossChartOptions } from './monitor/lossChartSpec.js';
export { writeJsonl } from './monitor/writeJsonl.js';
export { writeSummary, type Summary, type WriteSummaryOptions } from './monitor/writeSummary.js';
export { writeLossChart } from './monitor/writeLossChart.js';
