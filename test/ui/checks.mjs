// Named checks for the workbench scripts, printed like mocha's spec reporter and counted for the
// closing `N passed, N failed` line. A failing check stops its script (later checks build on it).

/**
 * @param {{ log: (text: string) => void, onFailure?: (error: unknown) => Promise<void> }} options
 *   onFailure adds diagnostics (screenshot, logs) before the error propagates.
 */
export function checkRunner({ log, onFailure }) {
  const started = Date.now();
  const counts = { passed: 0, failed: 0 };
  const secs = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const check = async (name, fn) => {
    try {
      await fn();
      counts.passed++;
      log(`  ✔ ${name} (${secs()})`);
    } catch (error) {
      counts.failed++;
      log(`  ✖ ${name}\n    ${String((error && error.stack) || error).split('\n').join('\n    ')}`);
      await onFailure?.(error);
      throw error;
    }
  };
  return { check, counts, secs };
}

/** Lets a workbench script run on its own: a time limit, the closing line, the exit code. */
export async function runStandalone(name, run) {
  const guard = setTimeout(() => {
    console.log(`${name}: timeout after 180 s\n0 passed, 1 failed`);
    process.exit(124);
  }, 180_000);
  guard.unref();
  const { passed, failed } = await run({ verbose: process.argv.includes('--verbose'), keep: process.argv.includes('--keep') });
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
