import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ProntoOptions, ProntoDB } from '../../src/core/pronto';

/** A throwaway HOME so every test gets its own data directory, cursors and backups. */
export interface TempHome {
  home: string;
  env: Record<string, string>;
  pronto(options?: Omit<ProntoOptions, 'env'>): ProntoDB;
  cleanup(): Promise<void>;
}

export function makeTempHome(): TempHome {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'prontodb-test-'));
  const env = { HOME: home };
  const opened: ProntoDB[] = [];
  return {
    home,
    env,
    pronto(options = {}) {
      const pronto = new ProntoDB({ cwd: home, ...options, env });
      opened.push(pronto);
      return pronto;
    },
    async cleanup() {
      await Promise.all(opened.map((pronto) => pronto.close()));
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
