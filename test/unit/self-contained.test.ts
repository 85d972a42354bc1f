import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/**
 * A user clones this repository alone. Nothing tracked may read or name a folder beside the checkout: the contract,
 * the runtime contract and the QuickBooks facts live in `spec/` and `docs/`.
 */
describe('the repository stands on its own', () => {
  it('has no tracked file that names a sibling design folder', () => {
    const sibling = ['..', 'shared'].join('/');
    let hits = '';
    try {
      hits = execFileSync('git', ['grep', '-n', '-I', '-F', sibling, '--', '.', ':!package-lock.json'], {
        cwd: ROOT,
        encoding: 'utf8',
      });
    } catch (error) {
      // git grep exits 1 when nothing matches.
      if ((error as { status?: number }).status !== 1) throw error;
    }
    expect(hits).toBe('');
  });

  it('owns its contracts', () => {
    for (const file of ['spec/gateway.graphql', 'spec/runtime.md', 'spec/sandbox.md'])
      expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
  });
});
