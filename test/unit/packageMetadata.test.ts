/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * What n8n's verification and `n8n-node cloud-support` look at outside the code (issue 14): one public
 * repository named the same way everywhere (npm's page, the node's documentation link, the
 * changelog), MIT, no runtime dependencies, n8n's strict mode with its unmodified lint config, and a
 * changelog with an entry for the version in package.json.
 */
import { readFileSync } from 'fs';
import * as path from 'path';

const repoRoot = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
const manifest = JSON.parse(read('package.json')) as {
	name: string;
	version: string;
	license: string;
	keywords: string[];
	homepage: string;
	repository: { type: string; url: string };
	bugs: { url: string };
	files: string[];
	dependencies?: Record<string, string>;
	peerDependencies: Record<string, string>;
	n8n: { strict: boolean; nodes: string[] };
};

describe('package metadata', () => {
	const repository = /^git\+(https:\/\/github\.com\/[\w.-]+\/[\w.-]+)\.git$/.exec(manifest.repository.url)?.[1];

	it('names one public GitHub repository everywhere: repository, homepage, bugs, the nodes\' documentation, the changelog', () => {
		expect(repository).toBeDefined();
		expect(manifest.repository.type).toBe('git');
		expect(manifest.homepage).toBe(`${repository}#readme`);
		expect(manifest.bugs.url).toBe(`${repository}/issues`);
		for (const nodeFile of manifest.n8n.nodes) {
			const codex = JSON.parse(read(nodeFile.replace(/^dist\//, '').replace(/\.js$/, '.json'))) as {
				resources: { primaryDocumentation: Array<{ url: string }> };
			};
			expect(codex.resources.primaryDocumentation.map((entry) => entry.url)).toEqual([manifest.homepage]);
		}
		const changelogLinks = [...read('CHANGELOG.md').matchAll(/^\[[^\]]+\]: (\S+)$/gm)].map((match) => match[1]);
		expect(changelogLinks.length).toBeGreaterThan(0);
		expect(changelogLinks.filter((link) => !link.startsWith(`${repository}/`))).toEqual([]);
	});

	it('is an MIT-licensed community node package with no runtime dependencies', () => {
		expect(manifest.license).toBe('MIT');
		expect(read('LICENSE')).toMatch(/^MIT License\n/);
		expect(manifest.name).toMatch(/^n8n-nodes-/);
		expect(manifest.keywords).toContain('n8n-community-node-package');
		expect(manifest.dependencies ?? {}).toEqual({});
		expect(manifest.peerDependencies).toEqual({ 'n8n-workflow': '*' });
	});

	it("is eligible for n8n Cloud: strict mode and n8n's default lint config, unmodified", () => {
		expect(manifest.n8n.strict).toBe(true);
		// What `n8n-node lint` in strict mode compares against: the node-cli's own template.
		const template = readFileSync(
			path.join(repoRoot, 'node_modules', '@n8n', 'node-cli', 'dist', 'template', 'templates', 'shared', 'default', 'eslint.config.mjs'),
			'utf8',
		);
		const normalized = (text: string) => text.replace(/\s+/g, ' ').trim();
		expect(normalized(read('eslint.config.mjs'))).toBe(normalized(template));
		expect(normalized(template)).toBe("import { config } from '@n8n/node-cli/eslint'; export default config;");
	});

	it('publishes the build and the changelog, which has an Unreleased section and an entry for this version', () => {
		expect(manifest.files).toEqual(['dist', 'CHANGELOG.md']);
		const changelog = read('CHANGELOG.md');
		expect(changelog).toMatch(/^## \[Unreleased\]$/m);
		expect(changelog).toMatch(new RegExp(`^## \\[${manifest.version.replace(/\./g, '\\.')}\\] - `, 'm'));
	});
});
