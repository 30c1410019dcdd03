#!/usr/bin/env node
/**
 * Mutation check: does each behaviour we rely on have a test that fails without it?
 *
 * For each mutation in scripts/mutations.mjs this copies the working tree once to a scratch folder
 * (never touching the checkout), applies the mutation there (search/replace edits that must each match
 * exactly once, else the mutation is STALE and must be re-anchored), runs the named unit tests with jest
 * and expects them to FAIL, then puts the file back. First it runs every named test unmutated: they must
 * pass, or a "caught" would mean nothing.
 *
 *   npm run mutation-check                 all mutations
 *   npm run mutation-check -- grid dedupe  only mutations whose id contains one of these words
 *
 * Prints a table (mutation | test | result) and exits non-zero when a mutation SURVIVED, is STALE, or
 * was only "caught" by a TypeScript error (that proves nothing about the test).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { MUTATIONS } from './mutations.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2);
const selected = MUTATIONS.filter((mutation) => filters.length === 0 || filters.some((word) => mutation.id.includes(word)));
if (selected.length === 0) {
	console.error(`No mutation matches ${filters.join(', ')}. Known: ${MUTATIONS.map((mutation) => mutation.id).join(', ')}`);
	process.exit(2);
}

const SKIP = new Set(['node_modules', 'dist', '.git', 'coverage']);
const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mutation-check-'));
const scratch = path.join(scratchRoot, 'repo');
fs.cpSync(repo, scratch, {
	recursive: true,
	filter: (source) => !SKIP.has(path.basename(source)) || path.dirname(source) !== repo,
});
fs.symlinkSync(fs.realpathSync(path.join(repo, 'node_modules')), path.join(scratch, 'node_modules'), 'dir');
// The tests read the API contract from ../shared/api beside the checkout.
const shared = path.resolve(repo, '..', 'shared');
if (fs.existsSync(shared)) fs.symlinkSync(shared, path.join(scratchRoot, 'shared'), 'dir');

function runJest(tests, namePattern) {
	// --forceExit: a mutant may leave a long sleep behind (the cancel one); its result is known when the tests end.
	const args = ['node_modules/jest/bin/jest.js', '--selectProjects', 'unit', '--ci', '--silent', '--forceExit'];
	if (namePattern) args.push('-t', namePattern);
	args.push('--', ...tests);
	const started = Date.now();
	const run = spawnSync(process.execPath, args, { cwd: scratch, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
	const output = `${run.stdout}\n${run.stderr}`;
	return { failed: run.status !== 0, output, seconds: (Date.now() - started) / 1000 };
}

function apply(mutation) {
	const originals = new Map();
	for (const edit of mutation.edits) {
		const file = path.join(scratch, edit.file);
		const text = fs.readFileSync(file, 'utf8');
		if (!originals.has(file)) originals.set(file, text);
		const matches = text.split(edit.find).length - 1;
		if (matches !== 1) {
			for (const [original, content] of originals) fs.writeFileSync(original, content);
			return { stale: `${edit.file}: the text to replace matches ${matches} times (must be exactly 1): ${JSON.stringify(edit.find.slice(0, 60))}` };
		}
		fs.writeFileSync(file, text.replace(edit.find, () => edit.replace));
	}
	return { restore: () => originals.forEach((content, file) => fs.writeFileSync(file, content)) };
}

const started = Date.now();
const rows = [];
try {
	// 1. Unmutated, every named test must pass.
	const baselineFiles = [...new Set(selected.flatMap((mutation) => mutation.tests))];
	const baselinePattern = selected.every((mutation) => mutation.testName) ? selected.map((mutation) => `(${mutation.testName})`).join('|') : undefined;
	const baseline = runJest(baselineFiles, baselinePattern);
	if (baseline.failed) {
		console.error(baseline.output.slice(-6000));
		console.error('The named tests fail WITHOUT any mutation: fix them first; no mutation result would mean anything.');
		process.exit(2);
	}
	console.error(`baseline: the named tests pass unmutated (${baseline.seconds.toFixed(0)} s)`);

	// 2. Each mutation must make its tests fail.
	for (const mutation of selected) {
		const test = `${mutation.tests.map((file) => path.basename(file)).join(', ')}${mutation.testName ? ` -t "${mutation.testName}"` : ''}`;
		const applied = apply(mutation);
		if (applied.stale) {
			rows.push({ id: mutation.id, test, result: 'STALE', note: applied.stale });
			console.error(`${mutation.id}: STALE`);
			continue;
		}
		let run;
		try {
			run = runJest(mutation.tests, mutation.testName);
		} finally {
			applied.restore();
		}
		const typeError = /error TS\d+/.test(run.output) || /Test suite failed to run/.test(run.output);
		const result = !run.failed ? 'SURVIVED' : typeError ? 'TYPE ERROR' : 'caught';
		rows.push({ id: mutation.id, test, result, note: `${run.seconds.toFixed(0)} s` });
		console.error(`${mutation.id}: ${result} (${run.seconds.toFixed(0)} s)`);
	}
} finally {
	fs.rmSync(scratchRoot, { recursive: true, force: true });
}

const header = ['mutation', 'test', 'result', 'time / note'];
const table = [header, ...rows.map((row) => [row.id, row.test, row.result, row.note])];
const widths = header.map((_, column) => Math.max(...table.map((row) => row[column].length)));
const line = (row) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
for (const row of table.slice(1)) console.log(line(row));
for (const mutation of selected) {
	const row = rows.find((candidate) => candidate.id === mutation.id);
	if (row && row.result !== 'caught') console.log(`  ${mutation.id}: ${mutation.what}`);
}
console.log(`${rows.filter((row) => row.result === 'caught').length}/${rows.length} caught in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(rows.every((row) => row.result === 'caught') ? 0 : 1);
