// How a command's failure reaches the user and the log (issue 7 item 6): an expected failure (a
// ProntoError, a file-system error) is one message and one log line; only a bug logs its stack.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ProntoError } from '../../src/core/errors';
import { registerCommand } from '../../src/extension/commands/ui';
import type { ProntoService } from '../../src/extension/service';
import { dirs, getApi, standalone, withStubs } from './helpers';

type Level = 'error' | 'info';

/** Records the errors `log` receives while `body` runs (the real channel still gets them). */
async function capturingErrors<T>(log: vscode.LogOutputChannel, body: (lines: Array<{ level: Level; text: string }>) => Promise<T>): Promise<T> {
  const lines: Array<{ level: Level; text: string }> = [];
  const original = log.error;
  log.error = (message: string | Error, ...args: unknown[]) => {
    lines.push({ level: 'error', text: String(message) });
    original.call(log, message, ...args);
  };
  try {
    return await body(lines);
  } finally {
    log.error = original;
  }
}

const STACK_FRAME = /\n\s+at /;

describe('command failures', () => {
  standalone('12-failures');

  it('a command needing a tree row, run from the palette, says what to choose; the log has that line and no stack', async () => {
    const { service } = await getApi();
    const expected: Array<[string, string]> = [
      ['prontodb.copyAddress', 'Choose a key in the ProntoDB view to copy its address'],
      ['prontodb.copyGetCommand', 'Choose a key in the ProntoDB view to copy a command that reads it'],
      ['prontodb.renameKey', 'Choose a key in the ProntoDB view to rename it'],
      ['prontodb.deleteNamespace', 'Choose a namespace in the ProntoDB view to delete it'],
      ['prontodb.deleteProject', 'Choose a project in the ProntoDB view to delete it'],
      ['prontodb.filterKeys', 'Choose a namespace in the ProntoDB view to filter its keys'],
    ];
    await capturingErrors(service.log, async (lines) => {
      for (const [command, text] of expected) {
        await withStubs((s) => s.quietMessages(), async (stubs) => {
          assert.equal(await vscode.commands.executeCommand(command), undefined);
          assert.deepEqual(stubs.messages('showErrorMessage'), [`ProntoDB: ${text}`], command);
        });
      }
      assert.deepEqual(lines, expected.map(([command, text]) => ({ level: 'error', text: `${command}: ${text}` })));
    });
  });

  it('opening an address that holds nothing, or removing TTL from a plain namespace, is a message, not a bug', async () => {
    const { service } = await getApi();
    await capturingErrors(service.log, async (lines) => {
      await withStubs((s) => s.inputs('nothing.here.atall').quietMessages(), async (stubs) => {
        await vscode.commands.executeCommand('prontodb.openValue');
        assert.deepEqual(stubs.messages('showErrorMessage'), ['ProntoDB: Nothing stored at nothing.here.atall']);
      });
      await withStubs((s) => s.inputs('plain.space').quietMessages('Remove TTL'), async (stubs) => {
        await vscode.commands.executeCommand('prontodb.removeCache');
        assert.deepEqual(stubs.messages('showErrorMessage'), ['ProntoDB: plain.space is not a TTL namespace']);
      });
      assert.equal(lines.length, 2, JSON.stringify(lines));
      for (const line of lines) assert.doesNotMatch(line.text, STACK_FRAME);
    });
  });

  it('a file-system error is one line naming the file and the cause, with no stack', async () => {
    const { service } = await getApi();
    const missing = path.join(dirs.scratch, 'no-such-folder', 'values.json');
    await capturingErrors(service.log, async (lines) => {
      await withStubs((s) => s.quietMessages(), async (stubs) => {
        assert.equal(await vscode.commands.executeCommand('prontodb.importData', missing), undefined);
        assert.deepEqual(stubs.messages('showErrorMessage'), [`ProntoDB: Cannot open ${missing}: no such file or directory (ENOENT)`]);
      });
      assert.deepEqual(lines, [{ level: 'error', text: `prontodb.importData: Cannot open ${missing}: no such file or directory (ENOENT)` }]);
    });
  });

  describe('registerCommand', () => {
    // A command of this test's own: registerCommand from the compiled sources, with a log of its own.
    const lines: Array<{ level: Level; text: string }> = [];
    const log = {
      error: (text: string) => lines.push({ level: 'error', text }),
      info: (text: string) => lines.push({ level: 'info', text }),
    };
    const service = { log } as unknown as ProntoService;
    let failure: () => unknown = () => undefined;
    let registration: vscode.Disposable | undefined;

    before(() => {
      registration = registerCommand(service, 'prontodb.test.fail', (...args: [number?]) => (args.length > 0 ? args[0]! * 2 : failure()));
    });
    after(() => registration?.dispose());
    beforeEach(() => {
      lines.length = 0;
    });

    it('passes the arguments through and returns the result', async () => {
      assert.equal(await vscode.commands.executeCommand('prontodb.test.fail', 21), 42);
      assert.deepEqual(lines, []);
    });

    it('a bug (an exception that is not a ProntoError) keeps its stack in the log; the message is shown', async () => {
      failure = () => {
        throw new TypeError('something was undefined');
      };
      await withStubs((s) => s.quietMessages(), async (stubs) => {
        assert.equal(await vscode.commands.executeCommand('prontodb.test.fail'), undefined);
        assert.deepEqual(stubs.messages('showErrorMessage'), ['ProntoDB: something was undefined']);
      });
      assert.equal(lines.length, 1);
      assert.match(lines[0]!.text, /^prontodb\.test\.fail: TypeError: something was undefined\n\s+at /);
    });

    it('a ProntoError is its message only, whatever its code', async () => {
      failure = () => {
        throw new ProntoError('conflict', 'app.config.x changed since it was shown');
      };
      await withStubs((s) => s.quietMessages(), async (stubs) => {
        await vscode.commands.executeCommand('prontodb.test.fail');
        assert.deepEqual(stubs.messages('showErrorMessage'), ['ProntoDB: app.config.x changed since it was shown']);
      });
      assert.deepEqual(lines, [{ level: 'error', text: 'prontodb.test.fail: app.config.x changed since it was shown' }]);
    });

    it('cancelling is logged as such, and shows nothing', async () => {
      failure = () => Promise.reject(new ProntoError('cancelled', 'Cancelled'));
      await withStubs((s) => s.quietMessages(), async (stubs) => {
        assert.equal(await vscode.commands.executeCommand('prontodb.test.fail'), undefined);
        assert.deepEqual(stubs.calls, []);
      });
      assert.deepEqual(lines, [{ level: 'info', text: 'prontodb.test.fail: cancelled' }]);
    });

    it('something thrown that is not an Error is shown, and logged as a bug', async () => {
      failure = () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test
        throw 'a bare string';
      };
      await withStubs((s) => s.quietMessages(), async (stubs) => {
        await vscode.commands.executeCommand('prontodb.test.fail');
        assert.deepEqual(stubs.messages('showErrorMessage'), ['ProntoDB: a bare string']);
      });
      assert.deepEqual(lines, [{ level: 'error', text: 'prontodb.test.fail: non-Error thrown: a bare string' }]);
    });
  });
});
