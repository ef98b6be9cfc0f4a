/** The /proc helpers shared with the benchmarks: see bench/processes.ts. */
export * from '../../bench/processes.js';
