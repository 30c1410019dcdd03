#!/usr/bin/env node
/**
 * `npm run scan`: n8n's community-package scanner (`npx @n8n/scan-community-package <name>`) run
 * offline, before publishing. The real command downloads the published package, checks its npm
 * provenance, fetches the attested source from GitHub, then lints both with `analyzePackage`. The
 * first three need a published version and the internet; the lint legs do not, so this script runs
 * them on what would be published:
 *   - source leg: what the provenance attestation would point at, i.e. a checkout of this commit: the
 *     files git would commit (tracked and untracked, not ignored) copied into a clean folder, linted
 *     with the scanner's SOURCE_FILE_PATTERNS (package.json, {nodes,credentials}/**\/*.{js,ts,json});
 *     build output or other ignored files in the working tree are not part of it;
 *   - tarball leg: `npm pack` of the built package, unpacked, with the scanner's `**\/*.js` +
 *     package.json patterns (exactly what analyzePackageByName lints in the downloaded tarball).
 * Exit code 0 only when both pass. Usage: npm run scan [-- --tarball <file.tgz>] [--source <git folder>]
 * (--source: the source leg's repository, instead of this one)
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// eslint-plugin-n8n-nodes-base (part of the scan) swaps in its rule-tester's fake file names when
// NODE_ENV is "test" (as under jest), and then reports every real file as misnamed. The scan is
// never a test run of that plugin.
if (process.env.NODE_ENV === 'test') delete process.env.NODE_ENV;

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const scannerModule = join(repoRoot, 'node_modules', '@n8n', 'scan-community-package', 'scanner', 'scanner.mjs');
const say = (line) => process.stdout.write(`${line}\n`);

function run(command, args, cwd) {
	const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
	if (result.status !== 0) {
		throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}):\n${result.stderr}`.slice(-4000));
	}
	return result.stdout;
}

/** Builds and packs the package (or takes --tarball), unpacks it, returns the package folder. */
function unpackedTarball(workDir) {
	const tarballFlag = process.argv.indexOf('--tarball');
	let tarball;
	if (tarballFlag !== -1) {
		tarball = resolve(process.argv[tarballFlag + 1] ?? '');
	} else {
		say('building and packing (npm run build, npm pack)...');
		run('npm', ['run', 'build', '--silent'], repoRoot);
		// --ignore-scripts: the build just ran; prepack would build again.
		run('npm', ['pack', '--pack-destination', workDir, '--ignore-scripts', '--silent'], repoRoot);
		tarball = join(workDir, readdirSync(workDir).find((name) => name.endsWith('.tgz')));
	}
	const packageDir = join(workDir, 'package');
	run('tar', ['-xzf', tarball, '-C', workDir], repoRoot);
	return { tarball, packageDir };
}

/**
 * A folder holding what a checkout of this commit would hold: the files git sees (tracked, plus
 * untracked ones that are not ignored, i.e. what the next commit can contain). Outside a git
 * repository (an unpacked source archive), the repository itself.
 */
function sourceCheckout(workDir) {
	const sourceFlag = process.argv.indexOf('--source');
	const sourceRoot = sourceFlag === -1 ? repoRoot : resolve(process.argv[sourceFlag + 1] ?? '');
	const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: sourceRoot, encoding: 'utf8' });
	if (listed.status !== 0) return sourceRoot;
	const checkoutDir = join(workDir, 'source');
	for (const file of new Set(listed.stdout.split('\0').filter(Boolean))) {
		const from = join(sourceRoot, file);
		// Deleted but still tracked files, and symbolic links (none in a GitHub source archive), are skipped.
		if (!existsSync(from) || !lstatSync(from).isFile()) continue;
		mkdirSync(dirname(join(checkoutDir, file)), { recursive: true });
		copyFileSync(from, join(checkoutDir, file));
	}
	return checkoutDir;
}

/** The files a leg lints, counted the way analyzePackage globs them (an empty leg would pass vacuously). */
function countFiles(dir, patterns) {
	return glob.sync(patterns, { cwd: dir, ignore: ['node_modules/**', '**/package-lock.json'] }).length;
}

function report(label, fileCount, result) {
	const outcome = result.passed ? 'passed' : `FAILED: ${result.message}`;
	say(`${result.passed ? '✅' : '❌'} ${label}, ${fileCount} files: ${outcome}`);
	if (result.details) say(result.details);
}

const { analyzePackage, SOURCE_FILE_PATTERNS } = await import(scannerModule).catch((error) => {
	process.stderr.write(
		`Cannot load n8n's scanner from ${scannerModule} (${error.message}).\n` +
			'Install the dev dependencies first: npm ci\n',
	);
	process.exit(2);
});

const { default: glob } = await import('fast-glob');

const workDir = mkdtempSync(join(tmpdir(), 'n8n-scan-'));
try {
	const { tarball, packageDir } = unpackedTarball(workDir);
	say(`scanning ${tarball}`);
	const sourceDir = sourceCheckout(workDir);
	const sourceResult = await analyzePackage(sourceDir, SOURCE_FILE_PATTERNS);
	report(`source (${SOURCE_FILE_PATTERNS.join(', ')}; the files git would commit)`, countFiles(sourceDir, SOURCE_FILE_PATTERNS), sourceResult);
	const tarballPatterns = ['**/*.js', 'package.json'];
	const tarballResult = await analyzePackage(packageDir, tarballPatterns);
	report(`packed tarball (${tarballPatterns.join(', ')})`, countFiles(packageDir, tarballPatterns), tarballResult);
	say('(not run offline: the provenance check and the source download, which need a version published with npm provenance)');
	const passed = sourceResult.passed && tarballResult.passed;
	say(passed ? '✅ the package passes the community-package scanner checks' : '❌ the package fails the scanner checks');
	process.exitCode = passed ? 0 : 1;
} catch (error) {
	process.stderr.write(`${error.message}\n`);
	process.exitCode = 2;
} finally {
	rmSync(workDir, { recursive: true, force: true });
}
