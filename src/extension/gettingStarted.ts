/** "ProntoDB: Get Started" (the walkthrough) and "Copy MCP Configuration" (one of its steps). */
import * as vscode from 'vscode';
import { registerCommand } from './commands/ui';
import type { ProntoService } from './service';

export const WALKTHROUGH_ID = 'prontodb.prontodb#prontodb.gettingStarted';

/** The `.vscode/mcp.json` entry that runs `prontodb mcp` (README: "Use with AI agents"). */
export const MCP_CONFIGURATION = { servers: { prontodb: { type: 'stdio', command: 'prontodb', args: ['mcp'] } } };

export function registerGettingStarted(service: ProntoService): vscode.Disposable[] {
  return [
    registerCommand(service, 'prontodb.getStarted', () => vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH_ID, false)),
    registerCommand(service, 'prontodb.copyMcpConfiguration', async () => {
      const text = `${JSON.stringify(MCP_CONFIGURATION, null, 2)}\n`;
      await vscode.env.clipboard.writeText(text);
      void vscode.window.showInformationMessage('ProntoDB: the MCP server entry for .vscode/mcp.json is on the clipboard (prontodb must be on PATH; see the README for other agents).');
      return text;
    }),
  ];
}
