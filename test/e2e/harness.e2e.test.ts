/* eslint-disable @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * The e2e harness itself, against a real n8n without this package (built-in nodes, and a package
 * built to fail loading): if these fail, a failure in the package's e2e tests says nothing about
 * the package.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { loadFixture, N8nHttpError, N8nInstance, nodeOutput } from './n8nInstance';

describe('e2e harness (real n8n, without this package)', () => {
	let n8n: N8nInstance;

	beforeAll(async () => {
		n8n = await N8nInstance.start({ installPackage: false });
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	it('starts n8n 2.41.1 on a free port with a private user folder and captures its log', async () => {
		const settings = await n8n.rest<{ versionCli: string }>('GET', '/settings');
		expect(settings.versionCli).toBe('2.41.1');
		expect(n8n.port).not.toBe(5678);
		expect(n8n.brokerPort).not.toBe(5679);
		expect(n8n.logText()).toContain('Editor is now accessible via');
		expect(fs.existsSync(n8n.logFile)).toBe(true);
	});

	it('is signed in as the owner and holds a working public API key', async () => {
		const me = await n8n.rest<{ email: string; role: string }>('GET', '/login');
		expect(me.email).toBe('e2e-owner@example.com');
		expect(me.role).toBe('global:owner');
		expect(n8n.apiKey).toMatch(/\S{20,}/);
		const workflows = await n8n.publicApi<{ data: unknown[] }>('GET', '/workflows');
		expect(Array.isArray(workflows.data)).toBe(true);
		await expect(
			fetch(`${n8n.baseUrl}/api/v1/workflows`, { headers: { 'x-n8n-api-key': 'not-a-key' } }).then((r) => r.status),
		).resolves.toBe(401);
	});

	it('lists built-in node and credential types through the editor endpoints', async () => {
		const nodeNames = (await n8n.nodeTypes()).map((type) => type.name);
		expect(nodeNames).toEqual(expect.arrayContaining(['n8n-nodes-base.webhook', 'n8n-nodes-base.manualTrigger']));
		const credentialNames = (await n8n.credentialTypes()).map((type) => type.name);
		expect(credentialNames).toContain('httpHeaderAuth');
	});

	it('runs a webhook-started workflow synchronously and records the execution', async () => {
		const workflow = await n8n.deployWorkflow(loadFixture('harness-webhook-echo', { MARKER: 'from-fixture' }));
		expect(workflow.active).toBe(true);

		const response = await n8n.callWebhook('harness-echo', { message: 'hello n8n' });
		expect(response.status).toBe(200);
		expect(response.body).toEqual({ echoed: 'hello n8n', marker: 'from-fixture' });

		const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', { workflowId: workflow.id });
		expect(execution.mode).toBe('webhook');
		expect(nodeOutput(execution, 'Mark')).toEqual([{ echoed: 'hello n8n', marker: 'from-fixture' }]);
	});

	it('answers 404 for a webhook nobody registered (no endless retry)', async () => {
		// An endless retry would never answer (the test's own timeout would end it).
		const response = await n8n.callWebhook('no-such-path', {}, { notRegisteredRetryMs: 1000 });
		expect(response.status).toBe(404);
	});

	it('runs a Manual Trigger workflow through the editor endpoint POST /rest/workflows/:id/run', async () => {
		const workflow = await n8n.createWorkflow(loadFixture('harness-manual'));
		const executionId = await n8n.runManually(workflow.id, "When clicking 'Execute workflow'");
		const execution = await n8n.waitForExecutionToFinish(executionId);
		expect(execution.status).toBe('success');
		expect(execution.mode).toBe('manual');
		expect(nodeOutput(execution, 'Mark')).toEqual([{ ranManually: 'yes' }]);
	});

	it('reports REST failures with the status and body, without the API key', async () => {
		const error = await n8n.publicApi('GET', '/workflows/does-not-exist').catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(N8nHttpError);
		expect((error as N8nHttpError).status).toBe(404);
		expect((error as Error).message).not.toContain(n8n.apiKey);
	});

	describe('a second instance at the same time, with a package that fails to load', () => {
		const brokenPackage = 'n8n-nodes-e2e-broken';
		let other: N8nInstance;
		let workDir: string;

		/** A community package whose only node throws when n8n loads it. */
		function packBrokenPackage(): string {
			const packageDir = path.join(workDir, 'package');
			fs.mkdirSync(path.join(packageDir, 'dist'), { recursive: true });
			fs.writeFileSync(
				path.join(packageDir, 'package.json'),
				JSON.stringify({
					name: brokenPackage,
					version: '0.0.1',
					keywords: ['n8n-community-node-package'],
					files: ['dist'],
					n8n: { n8nNodesApiVersion: 1, nodes: ['dist/Broken.node.js'], credentials: [] },
				}),
			);
			fs.writeFileSync(path.join(packageDir, 'dist', 'Broken.node.js'), "throw new Error('broken on purpose');\n");
			const packed = spawnSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', workDir], {
				cwd: packageDir,
				encoding: 'utf8',
			});
			if (packed.status !== 0) throw new Error(`npm pack of the broken package failed: ${packed.stderr}`);
			return path.join(workDir, `${brokenPackage}-0.0.1.tgz`);
		}

		beforeAll(async () => {
			workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-broken-'));
			other = await N8nInstance.start({
				tarball: packBrokenPackage(),
				packageName: brokenPackage,
				keep: false,
				createApiKey: false,
			});
		});

		afterAll(async () => {
			await other?.stop();
			fs.rmSync(workDir, { recursive: true, force: true });
		});

		it('runs on its own ports next to the first one', async () => {
			expect(other.port).not.toBe(n8n.port);
			expect(other.brokerPort).not.toBe(n8n.brokerPort);
			expect((await fetch(`${other.baseUrl}/healthz`)).status).toBe(200);
			expect((await fetch(`${n8n.baseUrl}/healthz`)).status).toBe(200);
		});

		it("finds the package's load failure in n8n's log, and n8n leaves the package out", async () => {
			const problems = other.packageLoadErrors(brokenPackage);
			expect(problems.length).toBeGreaterThan(0);
			expect(problems[0]).toMatch(/Failed to load package "n8n-nodes-e2e-broken".*broken on purpose/);
			expect(other.packageLoadErrors()).toEqual([]);
			const nodeNames = (await other.nodeTypes()).map((type) => type.name);
			expect(nodeNames.filter((name) => name.startsWith(`${brokenPackage}.`))).toEqual([]);
		});

		it('stop() ends n8n and its task runner and removes the temp user folder', async () => {
			const { userFolder, port, pid } = other;
			await other.stop();
			expect(other.running).toBe(false);
			// Signal 0 to the process group: ESRCH once no member (n8n, its JS task runner) is left.
			expect(() => process.kill(-(pid as number), 0)).toThrow(/ESRCH/);
			expect(fs.existsSync(userFolder)).toBe(false);
			await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
			// The first instance is unaffected by the second one's start and stop.
			expect((await fetch(`${n8n.baseUrl}/healthz`)).status).toBe(200);
		});
	});
});
