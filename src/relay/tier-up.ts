/**
 * V8 optimizes a function once it has run about 200 KB of its bytecode (its default
 * interrupt budget of 66 KiB, a few times over): a keystroke's path, a few dozen small
 * functions in each process, gets there only after ~2000 keystrokes. A quarter of that
 * budget optimizes it within the first few hundred (docs/PERFORMANCE-NOTES.md, "Tier-up").
 */
const INTERRUPT_BUDGET_BYTES = 16 * 1024;
let sooner: Promise<void> | undefined;

/**
 * From now on this process optimizes its hot functions sooner (as each function's budget
 * is next reset). `node:v8` is loaded only here: a daemon nobody attached to never pays for it.
 */
export function optimizeSooner(): Promise<void> {
  sooner ??= import('node:v8').then((v8) => v8.setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET_BYTES}`));
  return sooner;
}
