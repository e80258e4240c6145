// Adds up the Vitest JSON reports of every workspace (tests and fault suites) and prints one closing line: "Tests: N passed, N failed".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
const reports = [];
// Every workspace: apps/*, packages/*, and the top-level ones (infra, bench); each report in its test-results/.
const workspaces = [
  ...['apps', 'packages'].flatMap((group) =>
    existsSync(group) ? readdirSync(group).map((name) => join(group, name)) : [],
  ),
  'infra',
  'bench',
];
for (const workspace of workspaces) {
  const dir = join(workspace, 'test-results');
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    if (typeof report.numPassedTests !== 'number') continue;
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    reports.push(`${workspace}/${file}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
  }
}
console.log(reports.join('\n'));
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
