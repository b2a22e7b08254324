import * as vscode from 'vscode';
import { isProntoError, ProntoError } from '../../core/errors';
import type { LongOperationOptions } from '../../core/types';
import type { ProntoService } from '../service';

/** Registers a command whose failures become one clear error message (and a log line). */
export function registerCommand(service: ProntoService, id: string, run: (...args: any[]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await run(...args);
    } catch (error) {
      if (isProntoError(error, 'cancelled')) {
        service.log.info(`${id}: cancelled`);
        return undefined;
      }
      const message = error instanceof Error ? error.message : String(error);
      service.log.error(`${id}: ${isProntoError(error) ? message : ((error as Error).stack ?? message)}`);
      void vscode.window.showErrorMessage(`ProntoDB: ${message}`);
      return undefined;
    }
  });
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
