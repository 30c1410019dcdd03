/* eslint-disable @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * scripts/lint-headers.mjs (`npm run lint:fix`; `--check` in `npm run lint`): the first-line
 * directive that exempts a test or dev script from n8n's node-runtime lint rules. Run here on a
 * made-up package with this repository's lint config: it names exactly the node-runtime rules a file
 * breaks, leaves every other rule (and every file outside test/ and scripts/) alone, and --check
 * fails until the lines are written.
 */
import { spawnSync } from 'child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

const repoRoot = path.resolve(__dirname, '..', '..');
const script = path.join(repoRoot, 'scripts', 'lint-headers.mjs');

const TOOL = "import { readFileSync } from 'fs';\n\nexport const hostname = process.env.HOSTNAME ?? readFileSync('/etc/hostname', 'utf8');\n";
const CLEAN = 'export const two = 1 + 1;\n';
// Breaks a rule that is not a node-runtime rule: never exempted.
const SLOPPY = 'let value = 1;\nexport const doubled = value * 2;\n';
const NODE_HELPER = "export const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));\n";

describe('lint headers (scripts/lint-headers.mjs)', () => {
	let root: string;
	const file = (name: string) => path.join(root, name);
	const run = (...args: string[]) => spawnSync(process.execPath, [script, '--root', root, ...args], { encoding: 'utf8', timeout: 120_000 });

	beforeAll(() => {
		root = mkdtempSync(path.join(tmpdir(), 'lint-headers-'));
		symlinkSync(path.join(repoRoot, 'node_modules'), file('node_modules'), 'dir');
		copyFileSync(path.join(repoRoot, 'package.json'), file('package.json'));
		copyFileSync(path.join(repoRoot, 'eslint.config.mjs'), file('eslint.config.mjs'));
		for (const [name, content] of Object.entries({
			'test/tool.ts': TOOL,
			'test/clean.ts': CLEAN,
			'scripts/sloppy.ts': SLOPPY,
			'nodes/Example/wait.ts': NODE_HELPER,
		})) {
			mkdirSync(path.dirname(file(name)), { recursive: true });
			writeFileSync(file(name), content);
		}
	});

	afterAll(() => {
		if (root) rmSync(root, { recursive: true, force: true });
	});

	it('--check fails while a file breaking a node-runtime rule lacks its line, and names it', () => {
		const result = run('--check');
		expect(result.stderr).toContain('test/tool.ts');
		expect(result.status).toBe(1);
		expect(readFileSync(file('test/tool.ts'), 'utf8')).toBe(TOOL);
	});

	it('writes exactly the node-runtime rules a file breaks, and touches nothing else', () => {
		expect(run().status).toBe(0);
		const [header, ...rest] = readFileSync(file('test/tool.ts'), 'utf8').split('\n');
		expect(header).toMatch(
			/^\/\* eslint-disable @n8n\/community-nodes\/no-restricted-globals, @n8n\/community-nodes\/no-restricted-imports -- runs in Node .*\*\/$/,
		);
		expect(`${rest.join('\n')}`).toBe(TOOL);
		expect(readFileSync(file('test/clean.ts'), 'utf8')).toBe(CLEAN);
		expect(readFileSync(file('scripts/sloppy.ts'), 'utf8')).toBe(SLOPPY);
		expect(readFileSync(file('nodes/Example/wait.ts'), 'utf8')).toBe(NODE_HELPER);
		expect(run('--check').status).toBe(0);
	});

	it('rewrites a stale line when the code changed (here: it no longer breaks any of those rules)', () => {
		writeFileSync(file('test/tool.ts'), `${readFileSync(file('test/tool.ts'), 'utf8').split('\n')[0]}\n${CLEAN}`);
		expect(run('--check').status).toBe(1);
		expect(run().status).toBe(0);
		expect(readFileSync(file('test/tool.ts'), 'utf8')).toBe(CLEAN);
	});
});
