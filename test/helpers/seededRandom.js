// One seeded generator (mulberry32) for everything that must replay a run from a seed: the SIGKILL
// kill points, the shuffled order of the VS Code test files, the benchmark's data set. Plain
// CommonJS so the TypeScript tests, the extension-host runner and the .mjs bench can all load it.
'use strict';

/** Numbers in [0, 1) from a 32-bit seed: the same seed gives the same sequence on every machine. */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

module.exports = { seededRandom };
