/**
 * Durability ordering at the system-call level (issue 14, item 1; issue 12). SIGKILL cannot tell a
 * flushed write from one still in the page cache; a power cut can. So the built CLI (and the
 * compiled core the extension bundles) runs under `strace -f`, and the trace must show, for every
 * commit, before the process reports success, one of the two protocols:
 *   whole file: all bytes written to the temp file → fdatasync/fsync of it → rename over the
 *   target → fsync of the directory;
 *   changed pages (sqliteFileBacking.ts, commitThroughLog): `<db>-wal` created exclusively → its
 *   frames written under an invalid header → fdatasync → the 32-byte valid header written at offset
 *   0 → fdatasync → fsync of the directory (the commit point) → the pages written into the file in
 *   place, page 1 last → fdatasync of the file → `-wal` removed.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, FIXTURES, integrityCheck, Sandbox } from '../helpers/cliHarness';

interface Call {
  pid: number;
  name: string;
  args: string;
  result: string;
  /** Line index where the call started and where it returned. */
  start: number;
  end: number;
}

const TRACED = 'openat,open,creat,write,pwrite64,writev,pwritev,pwritev2,fsync,fdatasync,rename,renameat,renameat2,link,linkat,unlink,unlinkat,ftruncate,close,exit_group';

function hasStrace(): boolean {
  return spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;
}

/** Parses `strace -f` output, joining `<unfinished ...>` / `<... resumed>` halves. */
export function parseTrace(text: string): Call[] {
  const calls: Call[] = [];
  const pending = new Map<number, { name: string; args: string; start: number }>();
  text.split('\n').forEach((line, index) => {
    const resumed = /^(\d+)\s+<\.\.\. (\w+) resumed>(.*)\)\s+= (.*)$/.exec(line);
    if (resumed) {
      const pid = Number(resumed[1]);
      const begun = pending.get(pid);
      pending.delete(pid);
      if (begun) calls.push({ pid, name: begun.name, args: begun.args + resumed[3]!, result: resumed[4]!.trim(), start: begun.start, end: index });
      return;
    }
    const unfinished = /^(\d+)\s+(\w+)\((.*) <unfinished \.\.\.>$/.exec(line);
    if (unfinished) {
      pending.set(Number(unfinished[1]), { name: unfinished[2]!, args: unfinished[3]!, start: index });
      return;
    }
    const whole = /^(\d+)\s+(\w+)\((.*)\)\s+= (.*)$/.exec(line);
    if (whole) calls.push({ pid: Number(whole[1]), name: whole[2]!, args: whole[3]!, result: whole[4]!.trim(), start: index, end: index });
    else {
      const exit = /^(\d+)\s+exit_group\((\d+)\)/.exec(line);
      if (exit) calls.push({ pid: Number(exit[1]), name: 'exit_group', args: exit[2]!, result: '?', start: index, end: index });
    }
  });
  return calls.sort((a, b) => a.start - b.start);
}

function firstArg(call: Call): string {
  return call.args.split(',')[0]!.trim();
}

/** The quoted path arguments of a call, in order. */
function paths(call: Call): string[] {
  return [...call.args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!);
}

/** Calls on one descriptor from the open that returned it up to its close. */
function onDescriptor(calls: Call[], open: Call): Call[] {
  const fd = open.result.split(' ')[0]!;
  const result: Call[] = [];
  for (const call of calls) {
    if (call.start <= open.end || firstArg(call) !== fd) continue;
    if (call.name === 'close') break;
    result.push(call);
  }
  return result;
}

/**
 * Checks each atomic placement of `target` in the trace (a rename, or a link for backups): the file
 * that took its name had all its bytes written and synced (through any descriptor opened on it)
 * before, and the directory was synced after, all before `reportedAt` (the exit, or the line that
 * reported success).
 */
function assertDurableReplace(calls: Call[], target: string, reportedAt: number, options: { expectedBytes?: number; writtenElsewhere?: boolean } = {}): void {
  const placements = calls.filter((call) => /^(rename|link)/.test(call.name) && paths(call)[1] === target && call.result === '0');
  assert.ok(placements.length > 0, `no rename or link onto ${target} in the trace`);
  for (const placement of placements) {
    const temp = paths(placement)[0]!;
    const opens = calls.filter((call) => (call.name === 'openat' || call.name === 'open') && paths(call).includes(temp) && /^\d+$/.test(call.result) && call.end < placement.start);
    assert.ok(opens.length > 0, `${temp} was never opened before it became ${target}`);
    const onTemp = opens.flatMap((open) => onDescriptor(calls, open)).filter((call) => call.start < placement.start);
    const writes = onTemp.filter((call) => /^(write|writev|pwrite64|pwritev|pwritev2)$/.test(call.name));
    const syncs = onTemp.filter((call) => call.name === 'fdatasync' || call.name === 'fsync');
    if (!options.writtenElsewhere) assert.ok(writes.length > 0, `nothing was written to ${temp}`);
    assert.ok(syncs.length > 0, `${temp} became ${target} without fdatasync/fsync: a power cut could leave an empty or torn file`);
    const lastWrite = writes.length > 0 ? Math.max(...writes.map((call) => call.end)) : -1;
    const lastSync = syncs.reduce((latest, call) => (call.start > latest.start ? call : latest));
    assert.ok(lastSync.start > lastWrite, `${temp} was synced before its last write`);
    assert.ok(lastSync.end < placement.start, `${temp} became ${target} before the sync of its content returned`);
    if (options.expectedBytes !== undefined) {
      const written = writes.reduce((sum, call) => sum + Number(call.result), 0);
      assert.equal(written, options.expectedBytes, `${temp}: bytes written vs the final file`);
    }
    const directory = path.dirname(target);
    const directoryOpens = calls.filter(
      (call) => (call.name === 'openat' || call.name === 'open') && paths(call)[0] === directory && /^\d+$/.test(call.result) && call.start > placement.end,
    );
    const directorySynced = directoryOpens.some((dirOpen) =>
      onDescriptor(calls, dirOpen).some((call) => (call.name === 'fsync' || call.name === 'fdatasync') && call.start > placement.end && call.end < reportedAt),
    );
    assert.ok(directorySynced, `the directory ${directory} was not fsynced after ${target} got its name (before success was reported): the name itself could be lost`);
    assert.ok(placement.end < reportedAt, `${target} got its name before success was reported`);
  }
}

const WRITES = /^(write|writev|pwrite64|pwritev|pwritev2)$/;

/** The file offset of a positioned write (`pwrite64(fd, "...", length, offset)`); 0 for a plain write on a fresh descriptor. */
function writeOffset(call: Call): number {
  return call.name === 'pwrite64' ? Number(call.args.slice(call.args.lastIndexOf(',') + 1).trim()) : 0;
}

/**
 * Checks every commit through the write-ahead log in the trace (see the header comment), each one
 * complete and in order before `reportedAt`. Returns how many there were.
 */
function assertDurableLogCommits(calls: Call[], target: string, reportedAt: number, options: { pageSize?: number } = {}): number {
  const walPath = `${target}-wal`;
  const directory = path.dirname(target);
  const creates = calls.filter((call) => (call.name === 'openat' || call.name === 'open') && paths(call).includes(walPath) && /O_CREAT/.test(call.args) && /^\d+$/.test(call.result));
  for (const create of creates) {
    assert.match(create.args, /O_EXCL/, `${walPath} must be created exclusively (never over a native process's log)`);
    const onWal = onDescriptor(calls, create);
    const walWrites = onWal.filter((call) => WRITES.test(call.name));
    const walSyncs = onWal.filter((call) => call.name === 'fdatasync' || call.name === 'fsync');
    assert.ok(walWrites.length >= 2, `${walPath}: the frames and then the header are written`);
    const header = walWrites[walWrites.length - 1]!;
    const frames = walWrites.slice(0, -1);
    assert.equal(Number(header.result), 32, 'the commit writes the 32-byte log header last');
    assert.equal(writeOffset(header), 0, 'at offset 0');
    assert.ok(header.args.includes('"7\\177\\6\\203'), `the header written last is a valid one (SQLite's WAL magic): ${header.args.slice(0, 60)}`);
    assert.equal(writeOffset(frames[0]!), 0, 'the frames are written from the start of the log');
    assert.ok(frames[0]!.args.includes('"\\0\\0\\0\\0'), `the frames go out under a header that is not valid yet (magic 0): ${frames[0]!.args.slice(0, 60)}`);
    const framesSynced = walSyncs.find((call) => call.start > Math.max(...frames.map((call) => call.end)) && call.end < header.start);
    assert.ok(framesSynced, `${walPath}: the frames were synced before the header made them count`);
    const headerSynced = walSyncs.find((call) => call.start > header.end);
    assert.ok(headerSynced, `${walPath}: the header was synced`);
    const directorySync = calls
      .filter((call) => (call.name === 'openat' || call.name === 'open') && paths(call)[0] === directory && /^\d+$/.test(call.result) && call.start > create.end)
      .flatMap((open) => onDescriptor(calls, open))
      .find((call) => (call.name === 'fsync' || call.name === 'fdatasync') && call.start > headerSynced!.end);
    assert.ok(directorySync, `the directory ${directory} was fsynced after ${walPath} was committed: its name could be lost`);
    // The copy into the file: after the commit point, page 1 last, synced, then the log removed.
    const removal = calls.find((call) => /^unlink/.test(call.name) && paths(call).includes(walPath) && call.start > directorySync!.end);
    assert.ok(removal, `${walPath} is removed once its pages are in the file`);
    assert.ok(removal!.end < reportedAt, `${walPath} was removed before success was reported`);
    const targetOpens = calls.filter(
      (call) => (call.name === 'openat' || call.name === 'open') && paths(call)[0] === target && /O_RDWR|O_WRONLY/.test(call.args) && /^\d+$/.test(call.result) && call.start > create.end && call.end < removal!.start,
    );
    assert.equal(targetOpens.length, 1, `${target} is opened once for writing between the commit and the removal of the log`);
    const onTarget = onDescriptor(calls, targetOpens[0]!);
    const pageWrites = onTarget.filter((call) => WRITES.test(call.name));
    assert.ok(pageWrites.length > 0, `pages were written into ${target}`);
    assert.ok(pageWrites[0]!.start > directorySync!.end, `${target} was changed before the commit point was durable`);
    assert.equal(writeOffset(pageWrites[pageWrites.length - 1]!), 0, 'page 1 is written last (readers rely on it)');
    if (options.pageSize) for (const call of pageWrites) assert.equal(writeOffset(call) % options.pageSize, 0, 'whole pages');
    const targetSynced = onTarget.find((call) => (call.name === 'fdatasync' || call.name === 'fsync') && call.start > pageWrites[pageWrites.length - 1]!.end);
    assert.ok(targetSynced, `${target} was synced after its pages were written`);
    assert.ok(targetSynced!.end < removal!.start, `the log was removed before ${target} was synced: a power cut could lose the write`);
    const pagesInLog = frames.reduce((sum, call) => sum + Number(call.result), 0);
    const bytesIntoFile = pageWrites.reduce((sum, call) => sum + Number(call.result), 0);
    if (options.pageSize) assert.equal(pagesInLog, 32 + (bytesIntoFile / options.pageSize) * (24 + options.pageSize), 'every page in the log, and only those, was copied into the file');
  }
  return creates.length;
}

function traced(box: Sandbox, script: string, args: string[], input?: string, env: Record<string, string> = {}): { calls: Call[]; exit: number; status: number | null; stderr: string } {
  const traceFile = box.path(`trace-${Math.random().toString(36).slice(2)}.txt`);
  const result = spawnSync('strace', ['-f', '-qq', '-s', '256', '-e', `trace=${TRACED}`, '-o', traceFile, process.execPath, script, ...args], {
    cwd: box.root,
    env: box.envWith(env),
    input: input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  const calls = parseTrace(fs.readFileSync(traceFile, 'utf8'));
  const exits = calls.filter((call) => call.name === 'exit_group');
  assert.ok(exits.length > 0, 'the traced process exited');
  return { calls, exit: exits[exits.length - 1]!.start, status: result.status, stderr: result.stderr };
}

describe('durability ordering under strace (write, fdatasync, rename, directory fsync, then success)', function () {
  this.timeout(120_000);
  let box: Sandbox;

  before(function () {
    assert.ok(hasStrace(), 'these tests need strace (Debian package strace: apt-get install strace)');
  });

  beforeEach(() => {
    box = new Sandbox('prontodb-strace-');
  });

  afterEach(() => box.cleanup());

  it('prontodb set on a small database: the whole file is replaced', async () => {
    await box.ok(['set', 'before', 'x']);
    const { calls, exit, status, stderr } = traced(box, CLI, ['set', 'p.n.k', 'durable']);
    assert.equal(status, 0, stderr);
    assert.ok(fs.realpathSync(box.dbFile('main')));
    assertDurableReplace(calls, box.dbFile('main'), exit, { expectedBytes: fs.statSync(box.dbFile('main')).size });
    assert.equal(assertDurableLogCommits(calls, box.dbFile('main'), exit), 0, 'no log: most of a small file changed');
  });

  it('prontodb set on a database of some size: only the changed pages, through the write-ahead log', async () => {
    const entries = Array.from({ length: 3000 }, (_, index) => ({ project: 'p', namespace: 'n', key: `k${index}`, value: `value ${index} ${'x'.repeat(60)}` }));
    await box.ok(['import', '-'], { input: JSON.stringify({ entries }) });
    const size = fs.statSync(box.dbFile('main')).size;
    const { calls, exit, status, stderr } = traced(box, CLI, ['set', 'p.n.k1500', 'durable']);
    assert.equal(status, 0, stderr);
    assert.equal(assertDurableLogCommits(calls, box.dbFile('main'), exit, { pageSize: 4096 }), 1, 'one commit through the log');
    assert.equal(calls.filter((call) => /^rename/.test(call.name) && paths(call)[1] === box.dbFile('main')).length, 0, 'the file was not replaced');
    assert.equal(fs.existsSync(`${box.dbFile('main')}-wal`), false);
    assert.equal(fs.statSync(box.dbFile('main')).size, size);
    assert.equal(await box.ok(['get', 'p.n.k1500']), 'durable\n');
    assert.equal(integrityCheck(box.dbFile('main')), 'ok');
  });

  it('prontodb set creating a new database', async () => {
    const { calls, exit, status, stderr } = traced(box, CLI, ['set', 'p.n.k', 'first']);
    assert.equal(status, 0, stderr);
    assertDurableReplace(calls, box.dbFile('main'), exit, { expectedBytes: fs.statSync(box.dbFile('main')).size });
  });

  it('prontodb import', async () => {
    const entries = Array.from({ length: 2000 }, (_, index) => ({ project: 'p', namespace: 'n', key: `k${index}`, value: `v${index}` }));
    const { calls, exit, status, stderr } = traced(box, CLI, ['import', '-'], JSON.stringify({ entries }));
    assert.equal(status, 0, stderr);
    assertDurableReplace(calls, box.dbFile('main'), exit, { expectedBytes: fs.statSync(box.dbFile('main')).size });
  });

  it('prontodb export --output', async () => {
    await box.ok(['set', 'p.n.k', 'exported']);
    const output = box.path('out', 'export.json');
    fs.mkdirSync(path.dirname(output));
    const { calls, exit, status, stderr } = traced(box, CLI, ['export', '--output', output]);
    assert.equal(status, 0, stderr);
    assertDurableReplace(calls, output, exit, { expectedBytes: fs.statSync(output).size });
  });

  it('prontodb backup: the archive', async () => {
    await box.ok(['set', 'p.n.k', 'backed up']);
    const output = box.path('backups');
    const { calls, exit, status, stderr } = traced(box, CLI, ['backup', '--output', output]);
    assert.equal(status, 0, stderr);
    const [archive] = fs.readdirSync(output).filter((name) => name.endsWith('.tar.gz'));
    assert.ok(archive, 'an archive was written');
    assertDurableReplace(calls, path.join(output, archive), exit);
  });

  it('prontodb restore: the restored database, after a durable safety copy', async () => {
    await box.ok(['set', 'p.n.k', 'archived']);
    const output = box.path('backups');
    await box.ok(['backup', '--output', output]);
    const [archive] = fs.readdirSync(output);
    await box.ok(['set', 'p.n.k', 'current']);
    const { calls, exit, status, stderr } = traced(box, CLI, ['restore', path.join(output, archive!)], undefined, { PRONTODB_BACKUP_DIR: output });
    assert.equal(status, 0, stderr);
    assert.equal(await box.ok(['get', 'p.n.k']), 'archived\n');
    // Extracted by tar under another name, then moved next to the database and synced there.
    assertDurableReplace(calls, box.dbFile('main'), exit, { writtenElsewhere: true });
    const safety = fs.readdirSync(output).find((name) => name.includes('pre-restore'));
    assert.ok(safety, 'a safety copy was written');
    const swap = calls.find((call) => /^rename/.test(call.name) && paths(call)[1] === box.dbFile('main'))!;
    assertDurableReplace(calls, path.join(output, safety), swap.start);
  });

  it('a commit through the compiled core, as the extension and agents make it', async () => {
    const entries = Array.from({ length: 2000 }, (_, index) => ({ project: 'default', namespace: 'default', key: `seed${index}`, value: `seed value ${index}` }));
    await box.ok(['import', '-'], { input: JSON.stringify({ entries }) });
    const { calls, exit, status, stderr } = traced(box, path.join(FIXTURES, 'writer.js'), ['core-', '3']);
    assert.equal(status, 0, stderr);
    // Every acknowledged set: the writer prints a key only after its set resolved.
    const acks = calls.filter((call) => call.name === 'write' && firstArg(call) === '1' && /core-\d/.test(call.args));
    assert.equal(acks.length, 3, 'three acknowledgements on stdout');
    // Each acknowledgement comes after one complete durable commit (whichever protocol it took).
    acks.forEach((ack, index) => {
      const window = calls.filter((call) => call.start <= ack.start && call.start >= (index === 0 ? 0 : acks[index - 1]!.start));
      const renames = window.filter((call) => /^rename/.test(call.name) && paths(call)[1] === box.dbFile('main')).length;
      const logged = assertDurableLogCommits(window, box.dbFile('main'), ack.start, { pageSize: 4096 });
      if (renames > 0) assertDurableReplace(window, box.dbFile('main'), ack.start);
      assert.equal(renames + logged, 1, `set ${index}: one commit`);
      assert.equal(logged, 1, `set ${index}: a few changed pages of a 2,000-key database go through the log`);
    });
    assert.ok(acks[2]!.start < exit);
  });
});

describe('the integrity helper the crash tests rely on', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = new Sandbox('prontodb-integrity-');
  });
  afterEach(() => box.cleanup());

  it('refuses an empty, a missing and a truncated file instead of calling them ok', async () => {
    await box.ok(['set', 'k', 'v'.repeat(10_000)]);
    const file = box.dbFile('main');
    assert.equal(integrityCheck(file), 'ok');
    const bytes = fs.readFileSync(file);
    const copy = box.path('copy.prdb');
    fs.writeFileSync(copy, bytes.subarray(0, bytes.length - 4096));
    assert.match(integrityCheck(copy), /truncated/);
    fs.writeFileSync(copy, bytes.subarray(0, bytes.length - 100));
    assert.match(integrityCheck(copy), /truncated/);
    fs.writeFileSync(copy, '');
    assert.match(integrityCheck(copy), /empty/);
    assert.match(integrityCheck(box.path('missing.prdb')), /does not exist/);
  });
});
