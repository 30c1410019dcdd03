/* eslint-disable @n8n/community-nodes/no-hardcoded-secrets, @n8n/community-nodes/no-restricted-globals -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * Issue 12 inside a real n8n 2.41.1: a callback is a claim, the task record is the truth.
 * Case 1: a forged, correctly signed success resumes / starts nothing while the task runs, and the
 *         output holds the API's record once it finished.
 * Case 2: a posted internal URL is never downloaded; only the record's links are.
 * Case 5: the API token never follows a redirect to another origin.
 * Case 7: "Retry On Fail" does not submit (bill) the items again.
 * The fake Ace Data Cloud API and the test's own listeners run in this jest process on loopback.
 * CLAIMS_N8N=1x runs the same cases against n8n 1.x (N8N_1X_VERSION, on this machine's Node 20).
 */
import { randomUUID } from 'crypto';

import { startFakeAceDataCloud, type FakeAceDataCloud, type FakeTask } from '../fake-api/fakeAceDataCloud';
import { loadFixture, N8nInstance, nodeOutput, type CreatedCredential, type WorkflowFixture } from './n8nInstance';
import { credentialExtrasFor, N8N_1X_VERSION, n8nEnvironmentFor } from './n8nVersions';
import { countExecutions, nodeOutputItems, postJson, untilWaiting, withNodeParameters } from './support';
import { startRecordingServer, type RecordingServer } from '../support/recordingServer';

const API_TOKEN = 'e2e-claims-token-7c1f3a9e5b2d';
const SOURCE_IMAGE = 'https://cdn.example.com/e2e/source-cat.png';
const ATTACKER_IMAGE = 'https://attacker.example/x.png';
const N8N_VERSION = process.env.CLAIMS_N8N === '1x' ? N8N_1X_VERSION : undefined;

/** Sets node-level settings (retryOnFail, onError...) of one node of a fixture. */
function withNodeSettings(fixture: WorkflowFixture, nodeName: string, settings: Record<string, unknown>): WorkflowFixture {
	return { ...fixture, nodes: fixture.nodes.map((node) => (node.name === nodeName ? { ...node, ...settings } : node)) };
}

describe(`callbacks are claims, inside a real n8n ${N8N_VERSION ?? '2.x'}`, () => {
	let fake: FakeAceDataCloud;
	let n8n: N8nInstance;
	let credential: CreatedCredential;
	let internal: RecordingServer;

	const credentialValues = () => ({ CREDENTIAL_ID: credential.id, CREDENTIAL_NAME: credential.name });

	beforeAll(async () => {
		fake = await startFakeAceDataCloud({ port: 0, validTokens: [API_TOKEN], jobDurationMs: 500 });
		internal = await startRecordingServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end('internal secret'));
		n8n = await N8nInstance.start({ n8nVersion: N8N_VERSION, env: n8nEnvironmentFor(N8N_VERSION) });
		credential = await n8n.createCredential({
			name: 'Ace Data Cloud (e2e claims)',
			type: 'aceDataCloudApi',
			data: { apiToken: API_TOKEN, baseUrl: fake.url, platformBaseUrl: fake.url, ...credentialExtrasFor(N8N_VERSION) },
		});
	});

	beforeEach(() => fake.reset());

	afterAll(async () => {
		await n8n?.stop();
		await fake?.close();
		await internal?.close();
	});

	/** Starts a one-item "Wait for Callback" edit whose task never finishes by itself. */
	async function waitingEdit(options: Record<string, unknown> = {}): Promise<{ executionId: string; task: FakeTask }> {
		fake.faults.callbackMode = 'never';
		fake.faults.neverFinish = true;
		const webhookPath = `mj-claims-${randomUUID().slice(0, 8)}`;
		const fixture = withNodeParameters(
			loadFixture('callback-mode-via-webhook', { WEBHOOK_ID: randomUUID(), WEBHOOK_PATH: webhookPath, ...credentialValues() }),
			'Midjourney Edits',
			{ options },
		);
		await n8n.deployWorkflow(fixture);
		const prompt = `claims ${randomUUID()}`;
		expect((await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt })).status).toBe(200);
		const task = await fake.waitFor(() => [...fake.tasks.values()].find((candidate) => candidate.record.request.prompt === prompt), 20_000);
		const executionId = new URL(task.callbackUrl!).pathname.split('/').pop()!;
		await untilWaiting(n8n, executionId);
		return { executionId, task };
	}

	it('case 1 (Wait for Callback): a signed forged success resumes nothing while the task runs; then the output is the record\'s', async () => {
		const { executionId, task } = await waitingEdit();
		const forged = { task_id: task.id, success: true, image_url: ATTACKER_IMAGE };

		const early = await postJson(task.callbackUrl!, forged);
		expect(early).toEqual({ status: 200, body: { received: true, waiting_for: 1 } });
		expect((await n8n.getExecution(executionId, false)).status).toBe('waiting');

		fake.finishTask(task.id, 'success');
		expect((await postJson(task.callbackUrl!, forged)).status).toBe(200);
		// n8n 1.x briefly shows a resuming execution as finished before the resumed run is saved: wait
		// for the run of the node after the wait.
		const finished = await n8n.waitForExecution(
			(candidate) => candidate.id === executionId && candidate.status === 'success' && Boolean(candidate.data?.resultData.runData['After Callback']),
			{ timeoutMs: 30_000 },
		);
		const [item] = nodeOutput(finished, 'Midjourney Edits');
		expect(item.image_url).toBe((task.record.response as { image_url: string }).image_url);
		expect(JSON.stringify(item)).not.toContain('attacker');
	});

	it('case 1 (trigger) and case 2: a forged callback starts nothing while the task runs; once finished, only the record\'s image is downloaded', async () => {
		const webhookId = randomUUID();
		const trigger = await n8n.deployWorkflow(
			withNodeParameters(loadFixture('callback-trigger', { WEBHOOK_ID: webhookId, ...credentialValues() }), 'Midjourney Edits Trigger', {
				output: 'grid',
			}),
		);
		const editPath = `mj-claims-none-${randomUUID().slice(0, 8)}`;
		await n8n.deployWorkflow(
			loadFixture('edit-via-webhook', { WEBHOOK_ID: randomUUID(), WEBHOOK_PATH: editPath, WAIT_MODE: 'none', ON_ERROR: 'stopWorkflow', ...credentialValues() }),
		);
		fake.faults.callbackMode = 'never';
		fake.faults.neverFinish = true;
		const submitted = await n8n.callWebhook(editPath, { imageUrl: SOURCE_IMAGE, prompt: 'claims trigger', callbackUrl: n8n.webhookUrl(`${webhookId}/callback`) });
		expect(submitted.status).toBe(200);
		const taskId = String((submitted.body as Array<Record<string, unknown>>)[0].task_id);
		const signedUrl = fake.tasks.get(taskId)!.callbackUrl!;
		const forged = { task_id: taskId, success: true, image_url: `${internal.url}/latest/meta-data` };

		// The trigger's own answer is the signal that it decided: running task, nothing started.
		expect(await postJson(signedUrl, forged)).toEqual({ status: 200, body: { received: true } });
		fake.finishTask(taskId, 'success');
		expect((await postJson(signedUrl, forged)).status).toBe(200);
		const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', { workflowId: trigger.id, timeoutMs: 30_000 });
		expect(await countExecutions(n8n, trigger.id)).toBe(1);
		const [item] = nodeOutputItems(execution, 'Midjourney Edits Trigger');
		expect(item.json.image_url).toBe((fake.tasks.get(taskId)!.record.response as { image_url: string }).image_url);
		expect(item.binary?.data?.mimeType).toBe('image/png');
		expect(internal.requests).toHaveLength(0);
	});

	it('case 5: an API base URL answering 307 to another origin: that origin receives nothing (no token)', async () => {
		const otherOrigin = await startRecordingServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"task_id":"x"}'));
		const redirecting = await startRecordingServer((req, res) => res.writeHead(307, { location: `${otherOrigin.url}${req.url}` }).end());
		try {
			const redirected = await n8n.createCredential({
				name: `Ace Data Cloud (redirecting ${randomUUID().slice(0, 6)})`,
				type: 'aceDataCloudApi',
				data: { apiToken: API_TOKEN, baseUrl: redirecting.url, platformBaseUrl: redirecting.url, ...credentialExtrasFor(N8N_VERSION) },
			});
			const webhookPath = `mj-claims-redirect-${randomUUID().slice(0, 8)}`;
			const workflow = await n8n.deployWorkflow(
				loadFixture('edit-via-webhook', {
					WEBHOOK_ID: randomUUID(),
					WEBHOOK_PATH: webhookPath,
					WAIT_MODE: 'poll',
					ON_ERROR: 'stopWorkflow',
					CREDENTIAL_ID: redirected.id,
					CREDENTIAL_NAME: redirected.name,
				}),
			);
			await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'redirected' });
			const execution = await n8n.waitForExecution((candidate) => candidate.status === 'error', { workflowId: workflow.id, timeoutMs: 30_000 });
			expect(execution.status).toBe('error');
			expect(redirecting.requests.length).toBeGreaterThan(0);
			expect(otherOrigin.requests).toHaveLength(0);
		} finally {
			await Promise.all([otherOrigin.close(), redirecting.close()]);
		}
	});

	it('case 7: Retry On Fail (3 tries) after paid submissions of 2 items: exactly 2 submissions', async () => {
		fake.faults.expiredImages = true;
		const webhookPath = `mj-claims-retry-${randomUUID().slice(0, 8)}`;
		let fixture = loadFixture('callback-mode-batch', {
			WEBHOOK_ID: randomUUID(),
			WEBHOOK_PATH: webhookPath,
			SIDE_EFFECT_URL: `${fake.url}/results/side-effect/grid.png`,
			...credentialValues(),
		});
		fixture = withNodeParameters(fixture, 'Midjourney Edits', {
			waitMode: 'poll',
			output: 'grid',
			options: { pollIntervalSeconds: 1, timeoutSeconds: 60 },
		});
		fixture = withNodeSettings(fixture, 'Midjourney Edits', { retryOnFail: true, maxTries: 3, waitBetweenTries: 0 });
		const workflow = await n8n.deployWorkflow(fixture);
		const prompts = ['retry one', 'retry two'];
		expect((await n8n.callWebhook(webhookPath, { edits: prompts.map((prompt) => ({ imageUrl: SOURCE_IMAGE, prompt })) })).status).toBe(200);

		const execution = await n8n.waitForExecution((candidate) => candidate.status === 'error', { workflowId: workflow.id, timeoutMs: 90_000 });
		expect(execution.data?.resultData.error?.message).toMatch(/Downloading the result image failed/);
		expect(fake.count('POST', '/midjourney/edits')).toBe(2);
		// The retries did run: each of the 3 tries downloaded (and failed) again.
		expect(fake.count('GET', /^\/results\/.*\/grid\.png/)).toBeGreaterThanOrEqual(3 * 2);
	});
});
