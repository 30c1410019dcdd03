/**
 * The packed package inside n8n 1.x (issue 8): the 1.123 LTS line on this machine's own Node 20
 * (scripts/provision-n8n.sh with N8N_VERSION=1.x). The core cases of core.e2e.test.ts (the package
 * loads, poll mode, "Don't Wait" plus the trigger, an invalid token, the credential test) and the
 * other features of the README's compatibility table: "Wait for Callback", binary input and output.
 * Queue mode on 1.x is queue.e2e.test.ts with E2E_QUEUE_N8N_VERSION=1x.
 *
 * Run alone: `npm run test:e2e:compat` (both). N8N_1X_VERSION picks another 1.x (default 1.123.81,
 * the newest 1.123 patch on the registry when this was written).
 */
import { randomUUID } from 'crypto';

import { SIGNATURE_PARAMS } from '../../nodes/shared/callbackSignature';
import { startFakeAceDataCloud, type FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { encodeRgbPng } from '../fake-api/pngs';
import { loadFixture, N8nInstance, nodeOutput, PACKAGE_NAME, type CreatedCredential, type N8nExecution, type WebhookResponse } from './n8nInstance';
import { credentialExtrasFor, N8N_1X_VERSION, n8nEnvironmentFor } from './n8nVersions';
import { provisionN8n } from './packageUnderTest';
import { postJson } from './support';

// A fresh machine provisions n8n (about 6 minutes, more on a busy 2-core machine) inside beforeAll.
const COLD_START_TIMEOUT_MS = 20 * 60_000;

const GOOD_TOKEN = 'test-token';
// Looks like a real token so a leak into n8n's log or an error message would be noticed.
const BAD_TOKEN = 'e2e-wrong-token-1x-8e4b2a6c';
const ACTION_TYPE = `${PACKAGE_NAME}.midjourneyEdits`;
const TRIGGER_TYPE = `${PACKAGE_NAME}.midjourneyEditsTrigger`;
const SOURCE_IMAGE = 'https://cdn.example.com/e2e/source-cat.png';

type Credential = CreatedCredential & { data: Record<string, unknown> };

describe(`the packed package inside n8n ${N8N_1X_VERSION} (Node 20)`, () => {
	let fake: FakeAceDataCloud;
	let n8n: N8nInstance;
	let goodCredential: Credential;
	let badCredential: Credential;

	async function createCredential(name: string, apiToken: string): Promise<Credential> {
		const data = { apiToken, baseUrl: fake.url, platformBaseUrl: fake.url, ...credentialExtrasFor(N8N_1X_VERSION) };
		const created = await n8n.createCredential({ name, type: 'aceDataCloudApi', data });
		return { ...created, data };
	}

	async function deployEditWorkflow(options: {
		waitMode: 'poll' | 'none' | 'callback';
		credential: Credential;
	}): Promise<{ path: string; workflowId: string }> {
		const webhookPath = `mj1x-${options.waitMode}-${randomUUID().slice(0, 8)}`;
		const workflow = await n8n.deployWorkflow(
			loadFixture('edit-via-webhook', {
				WEBHOOK_ID: randomUUID(),
				WEBHOOK_PATH: webhookPath,
				WAIT_MODE: options.waitMode,
				ON_ERROR: 'stopWorkflow',
				CREDENTIAL_ID: options.credential.id,
				CREDENTIAL_NAME: options.credential.name,
			}),
		);
		return { path: webhookPath, workflowId: workflow.id };
	}

	function items(response: WebhookResponse): Array<Record<string, unknown>> {
		expect(Array.isArray(response.body)).toBe(true);
		return response.body as Array<Record<string, unknown>>;
	}

	beforeAll(async () => {
		fake = await startFakeAceDataCloud({ port: 0, validTokens: [GOOD_TOKEN], jobDurationMs: 1500 });
		n8n = await N8nInstance.start({ n8nVersion: N8N_1X_VERSION, env: n8nEnvironmentFor(N8N_1X_VERSION) });
		goodCredential = await createCredential('Ace Data Cloud (1.x e2e)', GOOD_TOKEN);
		badCredential = await createCredential('Ace Data Cloud (1.x e2e, wrong token)', BAD_TOKEN);
	}, COLD_START_TIMEOUT_MS);

	beforeEach(() => fake.reset());

	afterAll(async () => {
		await n8n?.stop();
		await fake?.close();
	});

	it(`is really n8n ${N8N_1X_VERSION}, on this machine's Node 20`, async () => {
		const settings = await n8n.rest<{ versionCli?: string }>('GET', '/settings');
		expect(settings.versionCli).toBe(N8N_1X_VERSION);
		const provisioned = await provisionN8n(N8N_1X_VERSION);
		expect(provisioned.nodeVersion).toMatch(/^20\./);
		expect(provisioned.nodeVersion).toBe(process.versions.node);
	});

	describe('loading', () => {
		it('registers the action node, its AI-tool variant, the trigger and the credential', async () => {
			const ours = (await n8n.nodeTypes()).filter((type) => type.name.startsWith(`${PACKAGE_NAME}.`));
			expect(ours.map((type) => type.name).sort()).toEqual([ACTION_TYPE, `${ACTION_TYPE}Tool`, TRIGGER_TYPE]);
			const credentialTypes = await n8n.credentialTypes();
			expect(credentialTypes.find((type) => type.name === 'aceDataCloudApi')?.displayName).toBe('Ace Data Cloud API');
		});

		it('serves the light and dark icons', async () => {
			const ours = (await n8n.nodeTypes()).filter((type) => type.name.startsWith(`${PACKAGE_NAME}.`));
			for (const type of ours) {
				const iconUrl = type.iconUrl as { light: string; dark: string };
				for (const url of [iconUrl.light, iconUrl.dark]) {
					const response = await fetch(`${n8n.baseUrl}/${url.replace(/^\/+/, '')}`);
					expect({ url, status: response.status }).toEqual({ url, status: 200 });
					expect(await response.text()).toContain('<svg');
				}
			}
		});

		it('logs no load errors for the package', () => {
			expect(n8n.packageLoadErrors()).toEqual([]);
			expect(n8n.logText()).not.toMatch(/Failed to load package/i);
		});
	});

	it('poll mode: waits for the result and answers the webhook with it', async () => {
		const { path: webhookPath, workflowId } = await deployEditWorkflow({ waitMode: 'poll', credential: goodCredential });

		const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'make it a watercolor' });

		expect(response.status).toBe(200);
		const [result, ...rest] = items(response);
		expect(rest).toEqual([]);
		expect(result).toEqual(expect.objectContaining({ success: true, task_id: expect.any(String), image_url: expect.any(String) }));
		expect(fake.count('POST', '/midjourney/edits')).toBe(1);
		expect(fake.count('POST', '/midjourney/tasks')).toBeGreaterThanOrEqual(1);
		const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', { workflowId });
		expect(nodeOutput(execution, 'Midjourney Edits')[0]).toEqual(expect.objectContaining({ task_id: result.task_id }));
	});

	it("\"Don't Wait\" returns the task id, and the signed callback starts the trigger's workflow once", async () => {
		const triggerWebhookId = randomUUID();
		const trigger = await n8n.deployWorkflow(
			loadFixture('callback-trigger', {
				WEBHOOK_ID: triggerWebhookId,
				CREDENTIAL_ID: goodCredential.id,
				CREDENTIAL_NAME: goodCredential.name,
			}),
		);
		const callbackUrl = n8n.webhookUrl(`${triggerWebhookId}/callback`);
		const { path: webhookPath } = await deployEditWorkflow({ waitMode: 'none', credential: goodCredential });
		fake.faults.callbackMode = 'duplicate';

		const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'add a red hat', callbackUrl });

		expect(response.status).toBe(200);
		const [acknowledged] = items(response);
		const taskId = acknowledged.task_id as string;
		expect(taskId).toEqual(expect.any(String));
		expect(fake.tasks.get(taskId)?.callbackUrl).toContain('mj_sig=');
		const deliveries = await fake.waitFor(() => {
			const found = fake.callbacks.filter((entry) => entry.taskId === taskId);
			return found.length === 2 ? found : undefined;
		}, 15_000);
		expect(deliveries.map((entry) => entry.status)).toEqual([200, 200]);

		const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', {
			workflowId: trigger.id,
			timeoutMs: 15_000,
		});
		expect(nodeOutput(execution, 'Midjourney Edits Trigger')[0]).toEqual(
			expect.objectContaining({ task_id: taskId, success: true, image_url: expect.any(String) }),
		);
		await new Promise((resolve) => setTimeout(resolve, 3000));
		expect(await n8n.listExecutions({ workflowId: trigger.id })).toHaveLength(1);
	});

	it('"Wait for Callback": the execution waits, and the API\'s callback to its resume URL resumes it', async () => {
		fake.faults.callbackMode = 'never';
		const webhookPath = `mj1x-callback-${randomUUID().slice(0, 8)}`;
		const workflow = await n8n.deployWorkflow(
			loadFixture('queue-edit', {
				WEBHOOK_ID: randomUUID(),
				WEBHOOK_PATH: webhookPath,
				RESPONSE_MODE: 'onReceived',
				RESPONSE_DATA: 'allEntries',
				WAIT_MODE: 'callback',
				DOWNLOAD_IMAGES: 'none',
				CREDENTIAL_ID: goodCredential.id,
				CREDENTIAL_NAME: goodCredential.name,
			}),
		);

		const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'add a red hat' });
		expect(response.status).toBe(200);

		const task = await fake.waitFor(() => [...fake.tasks.values()][0], 30_000);
		const resumeUrl = new URL(task.callbackUrl ?? '');
		expect(`${resumeUrl.origin}${resumeUrl.pathname}`).toMatch(new RegExp(`^${n8n.baseUrl}/webhook-waiting/\\d+$`));
		// n8n 1.x does not sign resume URLs, and its execution ids are sequential: the node signs the
		// URL itself (README, Compatibility), so guessing the bare URL resumes nothing.
		expect(resumeUrl.searchParams.has('signature')).toBe(false);
		expect(resumeUrl.searchParams.get(SIGNATURE_PARAMS.signature)).toMatch(/^[0-9a-f]{64}$/);
		const executionId = resumeUrl.pathname.split('/').pop()!;
		const bareUrl = `${resumeUrl.origin}${resumeUrl.pathname}`;
		// (n8n 1.x's execution list leaves waiting executions out unless asked for them by status.)
		for (let tries = 0; (await n8n.getExecution(executionId, false)).status !== 'waiting'; tries++) {
			if (tries > 300) throw new Error(`execution ${executionId} never went waiting`);
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		const forged = { task_id: task.id, success: true, image_url: 'https://attacker.example/x.png' };
		expect((await postJson(bareUrl, forged)).status).toBe(401);
		expect((await postJson(`${bareUrl}?signature=anything`, forged)).status).toBe(401);
		expect((await n8n.getExecution(executionId, false)).status).toBe('waiting');

		await fake.waitFor(() => task.state === 'succeeded', 30_000);
		const delivery = await fake.deliverCallback(task.id);
		expect(delivery.status).toBe(200);
		// n8n 1.x briefly shows a resuming execution as finished before the resumed run is saved: wait
		// for the edit node's run itself.
		const execution = await n8n.waitForExecution(
			(candidate) => candidate.id === executionId && candidate.status === 'success' && hasRun(candidate, 'Midjourney Edits'),
			{ workflowId: workflow.id, timeoutMs: 60_000 },
		);
		expect(nodeOutput(execution, 'Midjourney Edits')[0]).toEqual(
			expect.objectContaining({ task_id: task.id, success: true, image_url: expect.any(String) }),
		);
		expect(fake.count('POST', '/midjourney/tasks')).toBe(0);
	});

	it('binary in and out: uploads a file made in the workflow, and downloads the four split images', async () => {
		const webhookPath = `mj1x-files-${randomUUID().slice(0, 8)}`;
		const workflow = await n8n.deployWorkflow(
			loadFixture('binary-in-split-out', {
				WEBHOOK_ID: randomUUID(),
				WEBHOOK_PATH: webhookPath,
				RESPONSE_DATA: 'allEntries',
				CREDENTIAL_ID: goodCredential.id,
				CREDENTIAL_NAME: goodCredential.name,
			}),
		);
		const photo = encodeRgbPng(8, 8, (x, y) => [x * 30, y * 30, 128]);

		const response = await n8n.callWebhook(webhookPath, { pngBase64: photo.toString('base64') });

		expect(response.status).toBe(200);
		expect(items(response).map((item) => item.quarter)).toEqual([1, 2, 3, 4]);
		// The uploaded input is the file the workflow made.
		expect([...fake.uploads.values()].map((upload) => upload.bytes.equals(photo))).toEqual([true]);
		expect(fake.tasks.size).toBe(1);
		const [task] = [...fake.tasks.values()];
		expect(task.record.request.image_url).toMatch(/\/uploads\//);

		const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', { workflowId: workflow.id });
		const runs = execution.data!.resultData.runData['Midjourney Edits'];
		const output = runs[runs.length - 1].data!.main![0]! as Array<{
			json: Record<string, unknown>;
			binary?: Record<string, { fileName?: string; mimeType?: string; data?: string; id?: string }>;
		}>;
		expect(output.map((item) => item.binary?.data?.fileName)).toEqual([1, 2, 3, 4].map((quarter) => `${task.id}_${quarter}.png`));
		// n8n 1.x keeps binary data in the execution (its default, in-memory mode): the files are the four images.
		const subImageUrls = (task.record.response as { sub_image_urls: string[] }).sub_image_urls;
		for (const [index, item] of output.entries()) {
			const original = Buffer.from(await (await fetch(subImageUrls[index])).arrayBuffer());
			expect(item.binary?.data?.mimeType).toBe('image/png');
			expect(Buffer.from(item.binary?.data?.data ?? '', 'base64').equals(original)).toBe(true);
		}
	});

	it('an invalid token fails the execution with the credential message, without leaking the token', async () => {
		const { path: webhookPath, workflowId } = await deployEditWorkflow({ waitMode: 'poll', credential: badCredential });

		const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'anything' });

		expect(response.status).toBe(500);
		const execution = await n8n.waitForExecution((candidate) => candidate.status === 'error', { workflowId });
		const error = execution.data?.resultData.error;
		expect(error?.message).toMatch(/rejected the API token/i);
		expect(error?.description).toMatch(/Check the API Token in your "Ace Data Cloud API" credential/);
		expect(JSON.stringify(execution)).not.toContain(BAD_TOKEN);
		expect(n8n.logText()).not.toContain(BAD_TOKEN);
		expect(fake.tasks.size).toBe(0);
	});

	describe("n8n's credential test", () => {
		it('passes with a good token', async () => {
			await expect(n8n.testCredential(goodCredential)).resolves.toEqual(expect.objectContaining({ status: 'OK' }));
			expect(fake.tasksRequestsFor('retrieve_batch')).toHaveLength(1);
		});

		it('fails with a wrong token, without echoing it', async () => {
			const result = await n8n.testCredential(badCredential);
			expect(result.status).toBe('Error');
			expect(result.message).not.toContain(BAD_TOKEN);
			const attempts = fake.tasksRequestsFor('retrieve_batch');
			expect(attempts.length).toBeGreaterThanOrEqual(1);
			expect(attempts.every((entry) => entry.status === 401 && !entry.authorized)).toBe(true);
		});
	});
});

function hasRun(execution: N8nExecution, nodeName: string): boolean {
	return (execution.data?.resultData.runData[nodeName]?.length ?? 0) > 0;
}
