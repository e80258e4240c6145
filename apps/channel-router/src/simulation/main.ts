import { pino } from 'pino';
import { DEFAULT_SCENARIO, maeOf, seedSpread, simulateQueue } from './queue-simulation.js';

// `pnpm simulate:queue`: the default scenario's report, then the spread over seeds 1-12.
const log = pino({ base: undefined, timestamp: false });
const report = simulateQueue(DEFAULT_SCENARIO);
const naive = maeOf(report, 'naive');
const rolling = maeOf(report, 'rolling');
log.info(
  {
    scenario: 'default',
    seed: DEFAULT_SCENARIO.seed,
    customers: report.customers,
    meanWaitSeconds: Math.round(report.meanWaitSeconds),
    naiveMaeSeconds: Number(naive.toFixed(1)),
    rollingMaeSeconds: Number(rolling.toFixed(1)),
    improvement: `${((1 - rolling / naive) * 100).toFixed(0)} %`,
  },
  'estimated wait time: mean absolute error against the actual waits',
);
log.info({ scenario: 'default', ...seedSpread(DEFAULT_SCENARIO, 12) }, 'rolling / naive MAE over seeds 1-12');
