import * as vscode from 'vscode';
import { describeErrno, errnoCode, isProntoError, ProntoError } from '../../core/errors';
import type { LongOperationOptions } from '../../core/types';
import type { ProntoService } from '../service';

/**
 * Registers a command whose failures become one error message. Expected failures (a ProntoError:
 * bad input, nothing chosen, a name taken; or a file-system error such as a missing file) are logged
 * as that one line; anything else is a bug, and its stack goes to the log. Arguments are whatever
 * the caller passes (a tree node from a menu, nothing from the palette), so `run` declares them
 * optional and checks them.
 */
export function registerCommand<Args extends unknown[]>(service: ProntoService, id: string, run: (...args: Args) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await run(...(args as Args));
    } catch (error) {
      if (isProntoError(error, 'cancelled')) {
        service.log.info(`${id}: cancelled`);
        return undefined;
      }
      const { message, stack } = describeCommandFailure(error);
      service.log.error(`${id}: ${stack ?? message}`);
      void vscode.window.showErrorMessage(`ProntoDB: ${message}`);
      // A server that wants a password asks for it (tests hand in a service with only a log).
      if (typeof service.afterFailure === 'function') service.afterFailure(error);
      return undefined;
    }
  });
}

/** What the user reads, and for a bug (not a ProntoError or a file-system error) the stack for the log. */
export function describeCommandFailure(error: unknown): { message: string; stack?: string } {
  if (isProntoError(error)) return { message: error.message };
  if (errnoCode(error)) return { message: describeErrno(error as NodeJS.ErrnoException) };
  if (error instanceof Error) return { message: error.message, stack: error.stack ?? `${error.name}: ${error.message}` };
  return { message: String(error), stack: `non-Error thrown: ${String(error)}` };
}

/** Turns a core validator (which throws) into InputBox validation that shows the core's message. */
export function validateWith(check: (text: string) => unknown): (text: string) => string | undefined {
  return (text) => {
    try {
      check(text);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
}

export async function ask(options: vscode.InputBoxOptions): Promise<string> {
  const answer = await vscode.window.showInputBox({ ignoreFocusOut: true, ...options });
  if (answer === undefined) throw new ProntoError('cancelled', 'Cancelled');
  return answer;
}

/** Asks before destructive actions unless the user turned confirmations off. */
export async function confirm(message: string, action: string, detail?: string): Promise<boolean> {
  if (!vscode.workspace.getConfiguration('prontodb').get<boolean>('confirmDelete', true)) return true;
  return (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action;
}

/** Runs a long operation with a cancellable notification; the core sees an AbortSignal. */
export function withProgress<T>(title: string, run: (options: LongOperationOptions) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    let reported = 0;
    try {
      return await run({
        signal: controller.signal,
        onProgress: (fraction, message) => {
          const increment = Math.max(0, fraction * 100 - reported);
          reported += increment;
          progress.report({ increment, message });
        },
      });
    } finally {
      subscription.dispose();
    }
  });
}
