import * as vscode from 'vscode';

/**
 * Which server databases have lost the connection that hears other machines' writes (the core's
 * change listener reconnects by itself, with growing pauses): the status bar shows it meanwhile.
 * Keyed by the store's location, which is the canonical one.
 */
export class ServerConnections implements vscode.Disposable {
  private readonly lost = new Set<string>();
  private readonly changed = new vscode.EventEmitter<{ location: string; state: 'lost' | 'restored' }>();
  readonly onDidChange = this.changed.event;

  /** The core's report (PostgresBackendOptions.connection). */
  readonly report = (location: string, state: 'lost' | 'restored'): void => {
    if (state === 'lost') this.lost.add(location);
    else this.lost.delete(location);
    this.changed.fire({ location, state });
  };

  isLost(location: string): boolean {
    return this.lost.has(location);
  }

  /** A fresh engine: its stores connect anew. */
  clear(): void {
    const was = [...this.lost];
    this.lost.clear();
    for (const location of was) this.changed.fire({ location, state: 'restored' });
  }

  dispose(): void {
    this.changed.dispose();
  }
}
