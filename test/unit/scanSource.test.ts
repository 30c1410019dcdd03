/* eslint-disable @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * `npm run scan`'s source leg (scripts/scan-package.mjs) lints what n8n's scanner lints in the
 * attested source commit: the files git would commit (tracked, and untracked ones not ignored), not
 * whatever else lies in the working tree. `--source` points it at a made-up repository here.
 */
import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

const repoRoot = path.resolve(__dirname, '..', '..');
const script = path.join(repoRoot, 'scripts', 'scan-package.mjs');
const LEAK = "console.log(process.env.SECRET);\n";

describe("npm run scan's source leg: the files git would commit", () => {
	let workDir: string;
	let source: string;
	let tarball: string;

	function write(name: string, content: string): void {
		mkdirSync(path.dirname(path.join(source, name)), { recursive: true });
		writeFileSync(path.join(source, name), content);
	}

	function scan(): { status: number | null; output: string } {
		const result = spawnSync(process.execPath, [script, '--tarball', tarball, '--source', source], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
		return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
	}

	beforeAll(() => {
		workDir = mkdtempSync(path.join(tmpdir(), 'scan-source-'));
		const manifest = readFileSync(path.join(repoRoot, 'package.json'), 'utf8');
		// The tarball leg gets this package's package.json only; the source leg is what is tested.
		mkdirSync(path.join(workDir, 'package'));
		writeFileSync(path.join(workDir, 'package', 'package.json'), manifest);
		tarball = path.join(workDir, 'candidate.tgz');
		expect(spawnSync('tar', ['-czf', tarball, '-C', workDir, 'package']).status).toBe(0);

		source = path.join(workDir, 'source');
		mkdirSync(source);
		expect(spawnSync('git', ['init', '-q'], { cwd: source }).status).toBe(0);
		write('package.json', manifest);
		write('nodes/Example/helper.ts', 'export const two = 1 + 1;\n');
		// Build output the repository ignores: never committed, so never attested or scanned.
		write('.gitignore', 'nodes/Example/built/\n');
		write('nodes/Example/built/helper.js', LEAK);
	});

	afterAll(() => {
		if (workDir) rmSync(workDir, { recursive: true, force: true });
	});

	it('leaves ignored files out (they cannot be in the commit)', () => {
		const result = scan();
		expect(result.output).toMatch(/✅ source \(.*\), 2 files: passed/);
		expect(result.status).toBe(0);
	}, 120_000);

	it('lints untracked files that are not ignored (the next commit may hold them)', () => {
		write('nodes/Example/leak.ts', LEAK);
		const result = scan();
		expect(result.output).toMatch(/❌ source \(.*\), 3 files: FAILED/);
		expect(result.output).toContain('leak.ts');
		expect(result.output).toContain('@n8n/community-nodes/no-restricted-globals');
		expect(result.status).toBe(1);
	}, 120_000);
});
