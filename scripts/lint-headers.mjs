#!/usr/bin/env node
/**
 * `n8n-node lint` (n8n's strict, unmodifiable lint: `eslint .` with @n8n/node-cli's default config)
 * lints every .ts file, tests and dev scripts included, with the rules n8n applies to code that runs
 * inside n8n: no `process`/`setTimeout`/`__dirname` globals, no Node built-in imports, no child
 * processes, NodeApiError for every throw, no secrets in source, `usableAsTool` on node classes.
 * Tests and dev scripts are not that code: they run in Node, start n8n and a fake API, read fixtures
 * and use fake tokens, and are never published (`files` is `dist` only) nor scanned (the scanner
 * lints nodes/ and credentials/). The default config leaves no file alone but dist/, and ESLint 9
 * reads no ignore file, so such a file says so itself in its first line:
 *
 *   /* eslint-disable <the node-runtime rules it breaks> -- <why> *\/
 *
 * Every other rule (JavaScript and TypeScript recommended, imports, no-console, the rest of n8n's)
 * still applies to it. This script writes that line: only into files under test/ and scripts/, only
 * for the rules listed below, and only those a file actually breaks (checked with inline directives
 * off, so the line is recomputed from the code each time). `--check` changes nothing and exits 1 when
 * a line is missing or stale (a merge that brought new code). nodes/ and credentials/ never get one.
 * Usage: node scripts/lint-headers.mjs [--check] [--root <package folder>] (default: this repository)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const rootFlag = process.argv.indexOf('--root');
const repoRoot = rootFlag === -1 ? join(dirname(fileURLToPath(import.meta.url)), '..') : resolve(process.argv[rootFlag + 1]);
const NODE_RUNTIME_RULES = [
	'@n8n/community-nodes/no-dangerous-functions',
	'@n8n/community-nodes/no-hardcoded-secrets',
	'@n8n/community-nodes/no-restricted-globals',
	'@n8n/community-nodes/no-restricted-imports',
	'@n8n/community-nodes/node-usable-as-tool',
	'@n8n/community-nodes/require-node-api-error',
];
const REASON = 'runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs';
const HEADER = /^\/\* eslint-disable (@n8n\/community-nodes\/[a-z-]+(, )?)+ -- runs in Node .*\*\/\n/;
const FOLDERS = ['test', 'scripts'];

const check = process.argv.includes('--check');
const eslint = new ESLint({ cwd: repoRoot, allowInlineConfig: false, errorOnUnmatchedPattern: false });
const results = await eslint.lintFiles(FOLDERS.map((folder) => `${folder}/**/*.ts`));

const stale = [];
for (const result of results) {
	const broken = [...new Set(result.messages.map((message) => message.ruleId).filter((rule) => NODE_RUNTIME_RULES.includes(rule)))].sort();
	const source = readFileSync(result.filePath, 'utf8');
	const body = source.replace(HEADER, '');
	const wanted = broken.length > 0 ? `/* eslint-disable ${broken.join(', ')} -- ${REASON} */\n${body}` : body;
	if (wanted === source) continue;
	stale.push(relative(repoRoot, result.filePath));
	if (!check) writeFileSync(result.filePath, wanted);
}

if (stale.length === 0) {
	process.stdout.write(`lint headers: ${results.length} files under ${FOLDERS.join('/, ')}/ up to date\n`);
} else if (check) {
	process.stderr.write(`lint headers missing or stale in:\n  ${stale.join('\n  ')}\nRun: npm run lint:fix\n`);
	process.exitCode = 1;
} else {
	process.stdout.write(`lint headers written in:\n  ${stale.join('\n  ')}\n`);
}
