/* eslint-disable @n8n/community-nodes/no-hardcoded-secrets -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * Issue 13 inside a real n8n (the packed package): the readings of the vendor's own material that
 * change what a user sees. A binary image is uploaded with the platform token (and never with the
 * API token); without a platform token the edit stops before any request; a record with
 * `state: failed` ends the poll at once; pages the API cuts short are asked again; progress
 * callbacks do not finish a callback wait.
 */
import { randomUUID } from 'crypto';

import { DEFAULT_PLATFORM_TOKEN, startFakeAceDataCloud, type FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { encodeRgbPng } from '../fake-api/pngs';
import { loadFixture, N8nInstance, nodeOutput, type CreatedCredential, type WebhookResponse } from './n8nInstance';
import { withNodeParameters } from './support';

const API_TOKEN = 'e2e-vendor-token-4b8d2f6a1c';
const SOURCE_IMAGE = 'https://cdn.example.com/e2e/vendor-source.png';

function items(response: WebhookResponse): Array<Record<string, unknown>> {
	expect(Array.isArray(response.body)).toBe(true);
	return response.body as Array<Record<string, unknown>>;
}

describe('vendor readings inside a real n8n', () => {
	let fake: FakeAceDataCloud;
	let n8n: N8nInstance;
	let withPlatformToken: CreatedCredential;
	let withoutPlatformToken: CreatedCredential;

	const credentialValues = (credential: CreatedCredential) => ({ CREDENTIAL_ID: credential.id, CREDENTIAL_NAME: credential.name });
	const apiRequests = () => fake.requests.filter((entry) => entry.path.startsWith('/midjourney/'));
	const uploads = () => fake.requests.filter((entry) => entry.path.startsWith('/api/v1/files'));

	async function deploy(
		fixtureName: string,
		credential: CreatedCredential,
		values: Record<string, string> = {},
		patch?: Record<string, unknown>,
	): Promise<{ webhookPath: string; workflowId: string }> {
		const webhookPath = `mj-vendor-${randomUUID().slice(0, 8)}`;
		let fixture = loadFixture(fixtureName, { WEBHOOK_ID: randomUUID(), WEBHOOK_PATH: webhookPath, ...credentialValues(credential), ...values });
		if (patch) fixture = withNodeParameters(fixture, 'Midjourney Edits', patch);
		const workflow = await n8n.deployWorkflow(fixture);
		return { webhookPath, workflowId: workflow.id };
	}

	beforeAll(async () => {
		fake = await startFakeAceDataCloud({ port: 0, validTokens: [API_TOKEN], jobDurationMs: 1000 });
		n8n = await N8nInstance.start();
		withPlatformToken = await n8n.createCredential({
			name: 'Ace Data Cloud (e2e vendor, platform token)',
			type: 'aceDataCloudApi',
			data: { apiToken: API_TOKEN, platformToken: DEFAULT_PLATFORM_TOKEN, baseUrl: fake.url, platformBaseUrl: fake.url },
		});
		withoutPlatformToken = await n8n.createCredential({
			name: 'Ace Data Cloud (e2e vendor, API token only)',
			type: 'aceDataCloudApi',
			data: { apiToken: API_TOKEN, baseUrl: fake.url, platformBaseUrl: fake.url },
		});
	});

	beforeEach(() => {
		fake.reset();
	});

	afterAll(async () => {
		await n8n?.stop();
		await fake?.close();
	});

	const png = encodeRgbPng(10, 7, (x, y) => [(x * 31) % 256, (y * 41) % 256, 77]);

	it('uploads a binary image with the platform token; the API only ever sees the API token', async () => {
		const { webhookPath } = await deploy('edit-binary-from-base64', withPlatformToken);
		const response = await n8n.callWebhook(webhookPath, { pngBase64: png.toString('base64'), prompt: 'add a red balloon' });
		expect(response.status).toBe(200);
		expect(items(response)).toEqual([expect.objectContaining({ success: true, progress: 100 })]);
		expect(uploads().map((entry) => [entry.tokenKind, entry.authorized, entry.status])).toEqual([['platform', true, 200]]);
		expect(apiRequests().length).toBeGreaterThanOrEqual(2);
		expect(apiRequests().every((entry) => entry.tokenKind === 'api')).toBe(true);
	});

	it('without a platform token: an error naming the field, and no request at all', async () => {
		const { webhookPath, workflowId } = await deploy('edit-binary-from-base64', withoutPlatformToken);
		await n8n.callWebhook(webhookPath, { pngBase64: png.toString('base64'), prompt: 'add a red balloon' });
		const execution = await n8n.waitForExecution((candidate) => candidate.status === 'error', { workflowId, timeoutMs: 30_000 });
		expect(String(execution.data?.resultData.error?.message)).toMatch(/'Platform Token' in the Ace Data Cloud credential is empty/);
		expect(fake.requests).toHaveLength(0);
	});

	it('a task whose record says state failed ends the poll at once (not at the timeout)', async () => {
		Object.assign(fake.faults, { taskStates: true, failTasks: true });
		const { webhookPath } = await deploy('edit-via-webhook', withPlatformToken, { WAIT_MODE: 'poll', ON_ERROR: 'continueRegularOutput' });
		const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'a failing edit' });
		expect(response.status).toBe(200);
		const [item] = items(response);
		expect(String(item.error)).toMatch(/could not finish the edit|refused the edit/);
		expect(String(item.error)).not.toMatch(/did not finish within|may still finish/);
		// The fixture's timeout is 60 s with a 1 s poll: waiting for it would take about 60 lookups.
		expect(fake.tasksRequestsFor('retrieve_batch').length).toBeLessThanOrEqual(5);
	});

	it('Task → Get Many asks again for the ids a short page left out', async () => {
		const ids: string[] = [];
		for (let n = 0; n < 4; n++) {
			const answer = await fetch(`${fake.url}/midjourney/edits`, {
				method: 'POST',
				headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
				body: JSON.stringify({ image_url: SOURCE_IMAGE, prompt: `page ${n}`, async: true }),
			});
			ids.push(((await answer.json()) as { task_id: string }).task_id);
		}
		for (const id of ids) fake.finishTask(id, 'success');
		fake.faults.tasksPageMax = 2;
		const { webhookPath } = await deploy('edit-via-webhook', withPlatformToken, { WAIT_MODE: 'poll', ON_ERROR: 'stopWorkflow' }, {
			resource: 'task',
			operation: 'getMany',
			taskIds: '={{ $json.body.ids }}',
		});
		const response = await n8n.callWebhook(webhookPath, { ids: ids.join(',') });
		expect(response.status).toBe(200);
		expect(items(response).map((item) => [item.task_id, item.status])).toEqual(ids.map((id) => [id, 'succeeded']));
		expect(fake.tasksRequestsFor('retrieve_batch').map((entry) => (entry.body as { ids: string[] }).ids.length)).toEqual([4, 2]);
	});

	it('progress callbacks (success true, progress below 100) do not end a callback wait; the final one does', async () => {
		Object.assign(fake.faults, { progressCallbacks: true, jobDurationMs: 3000 });
		const { webhookPath, workflowId } = await deploy('callback-mode-via-webhook', withPlatformToken);
		const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'slowly, in steps' });
		expect(response.status).toBe(200);
		const done = await n8n.waitForExecution((candidate) => candidate.status === 'success', { workflowId, timeoutMs: 60_000 });
		const [result] = nodeOutput(done, 'Midjourney Edits');
		expect(result).toEqual(expect.objectContaining({ success: true, progress: 100 }));
		expect(String(result.image_url)).not.toMatch(/intermediate/);
		await fake.waitFor(() => fake.callbacks.length >= 3, 10_000);
		// n8n answered the intermediate ones (2xx) while the execution kept waiting.
		expect(fake.callbacks.map((delivery) => [(delivery.body as { progress: number }).progress, delivery.status])).toEqual([
			[40, 200],
			[80, 200],
			[100, 200],
		]);
	});
});
