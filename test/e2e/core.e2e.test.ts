/**
 * The packed package inside a real n8n 2.41.1 (issue 3): installed from its tarball into
 * `.n8n/nodes` as a user does, driven through webhooks, the public API and the editor's endpoints,
 * talking over loopback to the fake Ace Data Cloud API running in this jest process.
 */
import { randomUUID } from 'crypto';

import { startFakeAceDataCloud, type FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import {
	loadFixture,
	N8nInstance,
	nodeOutput,
	PACKAGE_NAME,
	type CreatedCredential,
	type WebhookResponse,
} from './n8nInstance';

const GOOD_TOKEN = 'test-token';
// Looks like a real token so a leak into n8n's log or an error message would be noticed.
const BAD_TOKEN = 'e2e-wrong-token-5f1c9a7d3b';
const ACTION_TYPE = `${PACKAGE_NAME}.midjourneyEdits`;
const TRIGGER_TYPE = `${PACKAGE_NAME}.midjourneyEditsTrigger`;
const SOURCE_IMAGE = 'https://cdn.example.com/e2e/source-cat.png';

type Credential = CreatedCredential & { data: Record<string, unknown> };

describe('the packed package inside a real n8n', () => {
	let fake: FakeAceDataCloud;
	let n8n: N8nInstance;
	let goodCredential: Credential;
	let badCredential: Credential;

	async function createCredential(name: string, apiToken: string): Promise<Credential> {
		const data = { apiToken, baseUrl: fake.url, platformBaseUrl: fake.url };
		const created = await n8n.createCredential({ name, type: 'aceDataCloudApi', data });
		return { ...created, data };
	}

	/** Deploys the webhook-started edit workflow with its own webhook path; returns that path and the workflow id. */
	async function deployEditWorkflow(options: {
		waitMode: 'poll' | 'none';
		credential: Credential;
		onError?: 'stopWorkflow' | 'continueRegularOutput';
	}): Promise<{ path: string; workflowId: string }> {
		const webhookPath = `mj-${options.waitMode}-${randomUUID().slice(0, 8)}`;
		const workflow = await n8n.deployWorkflow(
			loadFixture('edit-via-webhook', {
				WEBHOOK_ID: randomUUID(),
				WEBHOOK_PATH: webhookPath,
				WAIT_MODE: options.waitMode,
				ON_ERROR: options.onError ?? 'stopWorkflow',
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
		n8n = await N8nInstance.start();
		goodCredential = await createCredential('Ace Data Cloud (e2e)', GOOD_TOKEN);
		badCredential = await createCredential('Ace Data Cloud (e2e, wrong token)', BAD_TOKEN);
	});

	beforeEach(() => {
		fake.reset();
	});

	afterAll(async () => {
		await n8n?.stop();
		await fake?.close();
	});

	describe('loading', () => {
		it('registers the action node, its AI-tool variant and the trigger', async () => {
			const ours = (await n8n.nodeTypes()).filter((type) => type.name.startsWith(`${PACKAGE_NAME}.`));
			// n8n derives `<name>Tool` from `usableAsTool: true` (the node offered to AI agents).
			expect(ours.map((type) => type.name).sort()).toEqual([ACTION_TYPE, `${ACTION_TYPE}Tool`, TRIGGER_TYPE]);
			expect(ours.find((type) => type.name === ACTION_TYPE)?.displayName).toBe('Midjourney Edits');
			expect(ours.find((type) => type.name === TRIGGER_TYPE)?.displayName).toBe('Midjourney Edits Trigger');
		});

		it('registers the aceDataCloudApi credential type', async () => {
			const credentialTypes = await n8n.credentialTypes();
			expect(credentialTypes.find((type) => type.name === 'aceDataCloudApi')?.displayName).toBe('Ace Data Cloud API');
		});

		it('serves the light and dark icons packed with each node', async () => {
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

	describe('editing an image', () => {
		it('waits for the result in poll mode and answers the webhook with it', async () => {
			const { path: webhookPath, workflowId } = await deployEditWorkflow({ waitMode: 'poll', credential: goodCredential });

			const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'make it a watercolor' });

			expect(response.status).toBe(200);
			const [result, ...rest] = items(response);
			expect(rest).toEqual([]);
			expect(result).toEqual(
				expect.objectContaining({
					success: true,
					task_id: expect.any(String),
					image_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/.+\.png/),
				}),
			);
			// One submission, then lookups until the job (1.5 s) finished.
			expect(fake.count('POST', '/midjourney/edits')).toBe(1);
			const submitted = fake.requests.find((entry) => entry.path === '/midjourney/edits')?.body as Record<string, unknown>;
			expect(submitted).toEqual(expect.objectContaining({ image_url: SOURCE_IMAGE, prompt: 'make it a watercolor' }));
			expect(submitted.callback_url).toBeUndefined();
			expect(fake.count('POST', '/midjourney/tasks')).toBeGreaterThanOrEqual(1);

			const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', { workflowId });
			expect(nodeOutput(execution, 'Midjourney Edits')[0]).toEqual(expect.objectContaining({ task_id: result.task_id }));
		});

		it("returns the task id at once in \"Don't Wait\" mode, and the callback starts the trigger's workflow", async () => {
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

			const started = Date.now();
			const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'add a red hat', callbackUrl });

			expect(response.status).toBe(200);
			const [acknowledged] = items(response);
			const taskId = acknowledged.task_id as string;
			expect(taskId).toEqual(expect.any(String));
			expect(acknowledged.image_url).toBeUndefined();
			// Answered before the 1.5 s job could finish: nothing was polled.
			expect(Date.now() - started).toBeLessThan(1500 + 1000);
			expect(fake.count('POST', '/midjourney/tasks')).toBe(0);
			// The node handed the API the trigger's URL, signed.
			const handedOut = fake.tasks.get(taskId)?.callbackUrl ?? '';
			expect(handedOut.startsWith(`${callbackUrl}?`)).toBe(true);
			expect(handedOut).toContain('mj_sig=');

			const delivery = await fake.waitFor(() => fake.callbacks.find((entry) => entry.taskId === taskId), 15_000);
			expect(delivery.status).toBe(200);

			const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', {
				workflowId: trigger.id,
				timeoutMs: 15_000,
			});
			const [received] = nodeOutput(execution, 'Midjourney Edits Trigger');
			expect(received).toEqual(expect.objectContaining({ task_id: taskId, success: true, image_url: expect.any(String) }));
			expect(Object.keys(received).filter((key) => key.startsWith('mj_'))).toEqual([]);
		});
	});

	describe('an invalid API token', () => {
		it('fails the execution with the credential message, without leaking the token', async () => {
			const { path: webhookPath, workflowId } = await deployEditWorkflow({ waitMode: 'poll', credential: badCredential });

			const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'anything' });

			expect(response.status).toBe(500);
			const execution = await n8n.waitForExecution((candidate) => candidate.status === 'error', { workflowId });
			const error = execution.data?.resultData.error;
			expect(error?.message).toMatch(/rejected the API token/i);
			expect(error?.description).toMatch(/Check the API Token in your "Ace Data Cloud API" credential/);
			expect(JSON.stringify(execution)).not.toContain(BAD_TOKEN);
			expect(n8n.logText()).not.toContain(BAD_TOKEN);
			// Nothing was created: the submission itself was refused.
			expect(fake.tasks.size).toBe(0);
		});

		it('outputs error items instead with "On Error: Continue"', async () => {
			const { path: webhookPath, workflowId } = await deployEditWorkflow({
				waitMode: 'poll',
				credential: badCredential,
				onError: 'continueRegularOutput',
			});

			const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'anything' });

			expect(response.status).toBe(200);
			const [errorItem, ...rest] = items(response);
			expect(rest).toEqual([]);
			expect(String(errorItem.error)).toMatch(/rejected the API token/i);
			expect(JSON.stringify(errorItem)).not.toContain(BAD_TOKEN);
			const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', { workflowId });
			expect(nodeOutput(execution, 'Midjourney Edits')).toHaveLength(1);
		});
	});

	describe("n8n's credential test (the editor's Test button)", () => {
		it('passes with a good token', async () => {
			await expect(n8n.testCredential(goodCredential)).resolves.toEqual(expect.objectContaining({ status: 'OK' }));
			expect(fake.tasksRequestsFor('retrieve_batch')).toHaveLength(1);
		});

		it('fails with a wrong token, without echoing it', async () => {
			const result = await n8n.testCredential(badCredential);
			expect(result.status).toBe('Error');
			expect(result.message).toEqual(expect.any(String));
			expect(result.message).not.toContain(BAD_TOKEN);
			// n8n may send the test request more than once when it fails; each was refused.
			const attempts = fake.tasksRequestsFor('retrieve_batch');
			expect(attempts.length).toBeGreaterThanOrEqual(1);
			expect(attempts.every((entry) => entry.status === 401 && !entry.authorized)).toBe(true);
		});
	});

	describe('the sandbox example workflow (npm run sandbox)', () => {
		it('runs from its Manual Trigger and produces an edit', async () => {
			const workflow = await n8n.createWorkflow(
				loadFixture('sandbox-example', { CREDENTIAL_ID: goodCredential.id, CREDENTIAL_NAME: goodCredential.name }),
			);
			const executionId = await n8n.runManually(workflow.id, "When clicking 'Execute workflow'");
			const execution = await n8n.waitForExecutionToFinish(executionId, 60_000);
			expect(execution.status).toBe('success');
			const [edit] = nodeOutput(execution, 'Edit Image');
			expect(edit).toEqual(expect.objectContaining({ success: true, image_url: expect.any(String) }));
			expect(edit.sub_image_urls).toHaveLength(4);
		});
	});
});
