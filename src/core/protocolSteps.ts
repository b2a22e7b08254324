import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Test-only switches that stop a writer at a named step of its commit protocol, to prove that a
 * crash at any instant leaves a database both ProntoDB and native SQLite read as the old or the new
 * state (test/core/crashSafety.test.ts). Unset, each step costs one environment lookup.
 *
 *   PRONTODB_TEST_KILL_AT=<step>[#<n>]   SIGKILL this process when it reaches <step> (the <n>th
 *                                        time, counting from 1, for repeated steps such as
 *                                        checkpoint-page). For a step that writes, `torn:<step>:<bytes>[#<n>]`
 *                                        writes only the first <bytes> bytes and then kills.
 *   PRONTODB_TEST_PAUSE_AT=<step>        Stop at <step> the first time (synchronously, the whole process) until
 *   PRONTODB_TEST_PAUSE_DIR=<dir>        <dir>/continue exists; <dir>/paused is created on arrival.
 */
const counts = new Map<string, number>();
let paused = false;

function killSelf(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL is not delivered synchronously on every platform: never run past the step meanwhile.
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
}

function pause(step: string): void {
  const directory = process.env.PRONTODB_TEST_PAUSE_DIR;
  if (!directory) return;
  fs.writeFileSync(path.join(directory, 'paused'), step);
  const proceed = path.join(directory, 'continue');
  while (!fs.existsSync(proceed)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  fs.rmSync(proceed, { force: true });
  fs.rmSync(path.join(directory, 'paused'), { force: true });
}

interface KillSpec {
  step: string;
  /** Kill on the nth arrival (from 1); undefined: the first. */
  nth: number | undefined;
  /** A torn write: how many bytes of the step's write land before the kill. */
  tornBytes: number | undefined;
}

let parsed: { text: string; spec: KillSpec | undefined } | undefined;
function killSpec(): KillSpec | undefined {
  const text = process.env.PRONTODB_TEST_KILL_AT;
  if (!text) return undefined;
  if (parsed?.text !== text) {
    const [body = '', nth] = text.split('#');
    const torn = body.startsWith('torn:') ? body.split(':') : undefined;
    parsed = {
      text,
      spec: { step: torn ? torn[1]! : body, tornBytes: torn ? Number(torn[2]) : undefined, nth: nth === undefined ? undefined : Number(nth) },
    };
  }
  return parsed.spec;
}

/** Counts an arrival at `step`; true when it is the one the kill switch names. */
function arrivedAtKill(spec: KillSpec | undefined, step: string, torn: boolean): boolean {
  if (!spec || spec.step !== step || (spec.tornBytes !== undefined) !== torn) return false;
  const seen = (counts.get(step) ?? 0) + 1;
  counts.set(step, seen);
  return spec.nth === undefined ? seen === 1 : spec.nth === seen;
}

/** Marks that the writer has just completed `step`. */
export function protocolStep(step: string): void {
  const pauseAt = process.env.PRONTODB_TEST_PAUSE_AT;
  const spec = killSpec();
  if (!spec && !pauseAt) return;
  if (pauseAt === step && !paused) {
    paused = true; // once: a commit that starts over does not stop again
    pause(step);
  }
  if (arrivedAtKill(spec, step, false)) killSelf();
}

/**
 * Writes `bytes` at `position` of `fd` completely, unless the kill switch asks for a torn write of
 * `step` (`torn:<step>:<bytes>[#<n>]`): then only that many bytes are written and the process is killed.
 */
export function writeAllSync(fd: number, bytes: Uint8Array, position: number, step: string): void {
  const spec = killSpec();
  const torn = spec ? arrivedAtKill(spec, step, true) : false;
  const length = torn ? Math.min(bytes.byteLength, spec!.tornBytes!) : bytes.byteLength;
  for (let done = 0; done < length; ) done += fs.writeSync(fd, bytes, done, length - done, position + done);
  if (torn) killSelf();
}
