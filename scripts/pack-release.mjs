#!/usr/bin/env node
/**
 * Builds and packs the release tarball, and refuses one that would publish the wrong thing:
 *   - only dist/, README.md, LICENSE, CHANGELOG.md and package.json (no sources, tests, scripts,
 *     maps of the build's input folders, or stray files), and each of those present;
 *   - every file package.json's `n8n` block names (nodes, credentials) and `main` is inside;
 *   - CHANGELOG.md has an entry for this version;
 *   - on a tag build (GITHUB_REF_TYPE=tag) the tag is this version (0.2.0 or v0.2.0).
 * Prints the tarball's path as its last line (publish.yml publishes exactly that file). Locally:
 *   npm publish --dry-run "$(node scripts/pack-release.mjs)"
 * Usage: node scripts/pack-release.mjs [--out <folder>] (default: a new temporary folder)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const ALWAYS = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'];

/** The reasons a packed file list, for this package.json and CHANGELOG, must not be published. */
export function releaseProblems(files, pkg, changelog, refType, refName) {
	const problems = [];
	const paths = new Set(files);
	for (const file of files) {
		if (!ALWAYS.includes(file) && !file.startsWith('dist/')) problems.push(`unexpected file in the tarball: ${file}`);
	}
	const needed = [...ALWAYS, pkg.main, ...(pkg.n8n?.nodes ?? []), ...(pkg.n8n?.credentials ?? [])].filter(Boolean);
	for (const file of needed) if (!paths.has(file.replace(/^\.\//, ''))) problems.push(`missing from the tarball: ${file}`);
	const heading = new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\]`, 'm');
	if (!heading.test(changelog)) problems.push(`CHANGELOG.md has no "## [${pkg.version}]" entry`);
	if (refType === 'tag' && refName.replace(/^v/, '') !== pkg.version) {
		problems.push(`the tag ${refName} is not the package's version ${pkg.version}`);
	}
	return problems;
}

function run(command, args) {
	const result = spawnSync(command, args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
	if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
	return result.stdout;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const outFlag = process.argv.indexOf('--out');
	const outDir = outFlag === -1 ? mkdtempSync(join(tmpdir(), 'release-')) : resolve(process.argv[outFlag + 1]);
	try {
		process.stderr.write('building (npm run build)...\n');
		run('npm', ['run', 'build', '--silent']);
		// --ignore-scripts: the build just ran (prepack would build again).
		const [packed] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', outDir]));
		const files = packed.files.map((entry) => entry.path);
		const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
		const changelog = readFileSync(join(repoRoot, 'CHANGELOG.md'), 'utf8');
		const problems = releaseProblems(files, pkg, changelog, process.env.GITHUB_REF_TYPE ?? '', process.env.GITHUB_REF_NAME ?? '');
		const tarball = join(outDir, packed.filename);
		process.stderr.write(`${packed.filename}: ${files.length} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked\n`);
		if (problems.length > 0) {
			process.stderr.write(`NOT releasable:\n  ${problems.join('\n  ')}\n`);
			process.exit(1);
		}
		process.stdout.write(`${tarball}\n`);
	} catch (error) {
		process.stderr.write(`${error.message}\n`);
		process.exit(2);
	}
}
