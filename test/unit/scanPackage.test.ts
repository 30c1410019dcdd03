/* eslint-disable @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * scripts/scan-package.mjs (`npm run scan`): n8n's community-package scanner run offline. The script
 * always lints this repository's node and credential sources; `--tarball` gives it a package to
 * check instead of building and packing this one, which keeps these tests fast.
 */
import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

const repoRoot = path.resolve(__dirname, '..', '..');
const script = path.join(repoRoot, 'scripts', 'scan-package.mjs');

/** Packs `files` (paths relative to the package folder) into a tarball laid out like `npm pack`'s. */
function tarball(workDir: string, files: Record<string, string>): string {
	const packageDir = path.join(workDir, 'package');
	for (const [name, content] of Object.entries(files)) {
		mkdirSync(path.dirname(path.join(packageDir, name)), { recursive: true });
		writeFileSync(path.join(packageDir, name), content);
	}
	const file = path.join(workDir, 'candidate.tgz');
	const tar = spawnSync('tar', ['-czf', file, '-C', workDir, 'package'], { encoding: 'utf8' });
	if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
	return file;
}

function scan(tarballFile: string): { status: number | null; output: string } {
	const result = spawnSync(process.execPath, [script, '--tarball', tarballFile], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
	return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('npm run scan (scripts/scan-package.mjs)', () => {
	let workDir: string;

	beforeEach(() => {
		workDir = mkdtempSync(path.join(tmpdir(), 'scan-test-'));
	});

	afterEach(() => {
		rmSync(workDir, { recursive: true, force: true });
	});

	it("passes this package's sources and its package.json", () => {
		const manifest = readFileSync(path.join(repoRoot, 'package.json'), 'utf8');
		const result = scan(tarball(workDir, { 'package.json': manifest }));
		expect(result.output).toMatch(/✅ source \(.*\), \d+ files: passed/);
		expect(result.output).toMatch(/✅ packed tarball \(.*\), 1 files: passed/);
		expect(result.status).toBe(0);
	}, 120_000);

	it('fails a package the scanner would reject, naming the rules', () => {
		const result = scan(
			tarball(workDir, {
				'package.json': JSON.stringify({
					name: 'n8n-nodes-bad-example',
					version: '0.0.1',
					keywords: ['n8n-community-node-package'],
					n8n: { n8nNodesApiVersion: 1, nodes: ['dist/nodes/Bad/Bad.node.js'] },
					dependencies: { axios: '1.0.0' },
				}),
				'dist/nodes/Bad/Bad.node.js': '"use strict";\nconsole.log(process.env.SECRET);\n',
			}),
		);
		expect(result.output).toMatch(/❌ packed tarball .*FAILED: ESLint violations found/);
		expect(result.output).toContain('no-console');
		expect(result.output).toContain('@n8n/community-nodes/no-restricted-globals');
		expect(result.output).toContain('@n8n/community-nodes/no-runtime-dependencies');
		expect(result.status).toBe(1);
	}, 120_000);
});
