/* eslint-disable @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * scripts/pack-release.mjs: the check publish.yml runs on the release tarball before
 * `npm publish --provenance`. Its rules (releaseProblems) are run here on made-up file lists.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const script = path.resolve(__dirname, '..', '..', 'scripts', 'pack-release.mjs');

const PACKAGE = {
	version: '1.2.3',
	main: 'dist/index.js',
	n8n: { nodes: ['dist/nodes/A/A.node.js'], credentials: ['dist/credentials/B.credentials.js'] },
};
const GOOD_FILES = [
	'package.json',
	'README.md',
	'LICENSE',
	'CHANGELOG.md',
	'dist/index.js',
	'dist/nodes/A/A.node.js',
	'dist/nodes/A/a.svg',
	'dist/credentials/B.credentials.js',
];
const CHANGELOG = '# Changelog\n\n## [Unreleased]\n\n## [1.2.3] - 2026-11-29\n\n- first\n';

/** releaseProblems(files, pkg, changelog, refType, refName) from the script, run by Node itself (ESM). */
function problems(files: string[], pkg: object = PACKAGE, changelog = CHANGELOG, refType = '', refName = ''): string[] {
	const code =
		`const { releaseProblems } = await import(${JSON.stringify(script)});` +
		`console.log(JSON.stringify(releaseProblems(...JSON.parse(process.argv[1]))));`;
	const args = JSON.stringify([files, pkg, changelog, refType, refName]);
	const result = spawnSync(process.execPath, ['--input-type=module', '-e', code, args], { encoding: 'utf8' });
	if (result.status !== 0) throw new Error(result.stderr);
	return JSON.parse(result.stdout) as string[];
}

describe('the release tarball check (scripts/pack-release.mjs)', () => {
	it('accepts dist/, README, LICENSE, CHANGELOG and package.json with every named node and credential', () => {
		expect(problems(GOOD_FILES)).toEqual([]);
	});

	it('refuses any other file', () => {
		expect(problems([...GOOD_FILES, 'nodes/A/A.node.ts', 'test/x.test.ts', '.npmrc'])).toEqual([
			'unexpected file in the tarball: nodes/A/A.node.ts',
			'unexpected file in the tarball: test/x.test.ts',
			'unexpected file in the tarball: .npmrc',
		]);
	});

	it('refuses a tarball without the changelog, the main file, or a node or credential package.json names', () => {
		const without = (...dropped: string[]) => GOOD_FILES.filter((file) => !dropped.includes(file));
		expect(problems(without('CHANGELOG.md'))).toEqual(['missing from the tarball: CHANGELOG.md']);
		expect(problems(without('dist/index.js', 'dist/nodes/A/A.node.js', 'dist/credentials/B.credentials.js'))).toEqual([
			'missing from the tarball: dist/index.js',
			'missing from the tarball: dist/nodes/A/A.node.js',
			'missing from the tarball: dist/credentials/B.credentials.js',
		]);
	});

	it('refuses a version the changelog has no entry for', () => {
		expect(problems(GOOD_FILES, { ...PACKAGE, version: '1.2.4' })).toEqual(['CHANGELOG.md has no "## [1.2.4]" entry']);
	});

	it('on a tag build, refuses a tag that is not the version (with or without "v")', () => {
		expect(problems(GOOD_FILES, PACKAGE, CHANGELOG, 'tag', 'v1.2.3')).toEqual([]);
		expect(problems(GOOD_FILES, PACKAGE, CHANGELOG, 'tag', '1.2.3')).toEqual([]);
		expect(problems(GOOD_FILES, PACKAGE, CHANGELOG, 'tag', 'v1.2.4')).toEqual(["the tag v1.2.4 is not the package's version 1.2.3"]);
		// A branch build (CI on main) has no tag to compare.
		expect(problems(GOOD_FILES, PACKAGE, CHANGELOG, 'branch', 'main')).toEqual([]);
	});
});
