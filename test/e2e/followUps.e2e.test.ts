/* eslint-disable @n8n/community-nodes/no-hardcoded-secrets -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * Follow-up actions inside a real n8n 2.41.1 (issue 17): an Edit's result goes on to Upscale, Zoom Out
 * and Reroll (POST /midjourney/imagine with `action` + `image_id`) in each wait mode, Image ID taken
 * from the incoming item by default; a choice the result does not offer fails before any follow-up
 * request. The fake Ace Data Cloud API runs in this jest process; an upscale's file is the chosen
 * quarter of the edit's grid (pngs.ts: upscaledImagePng), so the file says which quarter came back.
 */
import { randomUUID } from 'crypto';

import { GRID_ACTIONS, startFakeAceDataCloud, type FakeAceDataCloud, type FakeTask } from '../fake-api/fakeAceDataCloud';
import { inspectPng, upscaledImagePng } from '../fake-api/pngs';
import { loadFixture, N8nInstance, nodeOutput, PACKAGE_NAME, type CreatedCredential, type WorkflowFixture } from './n8nInstance';
import { executionsBeforeMarker, triggerTaskId } from './marker';
import { nodeOutputItems, readStoredBinary } from './support';

const API_TOKEN = 'e2e-follow-ups-token-3a9c5e1f7b';
const SOURCE_IMAGE = 'https://cdn.example.com/e2e/source-boat.png';
const ACTION_NODE_TYPE = `${PACKAGE_NAME}.midjourneyEdits`;
/** Generous: two or three 1 s jobs polled every second, on 2 busy cores. */
const RUN_TIMEOUT_MS = 90_000;

/** One Midjourney Edits node of a chain: its name and the parameters that differ from the defaults. */
interface Step {
	name: string;
	parameters: Record<string, unknown>;
}

/** The Edit every chain starts with: poll mode, links only (the follow-up needs the result, not the file). */
const EDIT_STEP: Step = {
	name: 'Edit',
	parameters: {
		resource: 'image',
		operation: 'edit',
		imageSource: 'url',
		imageUrl: SOURCE_IMAGE,
		prompt: '={{ $json.body.prompt }}',
		waitMode: 'poll',
		mode: 'fast',
		output: 'links',
		options: { pollIntervalSeconds: 1, timeoutSeconds: 120 },
	},
};

describe('follow-up actions (Upscale, Vary, Reroll, Zoom Out, Pan) inside a real n8n', () => {
	let fake: FakeAceDataCloud;
	let n8n: N8nInstance;
	let credential: CreatedCredential;

	/**
	 * A workflow: Webhook (answers at once) → the steps, in a chain. Image ID is never set, so each
	 * follow-up reads the incoming item's `image_id` (its default).
	 */
	function chain(webhookPath: string, steps: Step[], onError = 'stopWorkflow'): WorkflowFixture {
		const webhook = {
			id: randomUUID(),
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2.1,
			position: [0, 0],
			webhookId: randomUUID(),
			parameters: { httpMethod: 'POST', path: webhookPath, responseMode: 'onReceived', options: {} },
		};
		const nodes = [
			webhook,
			...steps.map((step, index) => ({
				id: randomUUID(),
				name: step.name,
				type: ACTION_NODE_TYPE,
				typeVersion: 1,
				position: [240 * (index + 1), 0],
				onError,
				credentials: { aceDataCloudApi: { id: credential.id, name: credential.name } },
				parameters: step.parameters,
			})),
		];
		const connections: Record<string, unknown> = {};
		for (let index = 0; index + 1 < nodes.length; index++) {
			connections[nodes[index].name] = { main: [[{ node: nodes[index + 1].name, type: 'main', index: 0 }]] };
		}
		return { name: `e2e: follow-ups ${webhookPath}`, nodes, connections, settings: { executionOrder: 'v1' } };
	}

	/** Deploys the chain and starts it once; returns the workflow id. */
	async function runChain(steps: Step[], prompt: string): Promise<string> {
		const webhookPath = `mj-follow-${randomUUID().slice(0, 8)}`;
		const workflow = await n8n.deployWorkflow(chain(webhookPath, steps));
		const response = await n8n.callWebhook(webhookPath, { prompt });
		expect(response.status).toBe(200);
		return workflow.id;
	}

	/** The chain's execution once it has ended (succeeded or failed). */
	async function endedRun(workflowId: string) {
		return await n8n.waitForExecution((candidate) => ['success', 'error'].includes(candidate.status), { workflowId, timeoutMs: RUN_TIMEOUT_MS });
	}

	/** The error of a chain that must fail at `nodeName`. */
	async function failureAt(workflowId: string, nodeName: string) {
		const execution = await endedRun(workflowId);
		expect(execution.status).toBe('error');
		const error = execution.data?.resultData.error;
		expect(error?.node?.name).toBe(nodeName);
		return { execution, error };
	}

	/** A follow-up step: the operation, its choice, and the same poll settings as the Edit. */
	function followUp(name: string, operation: string, choice: Record<string, unknown>, extra: Record<string, unknown> = {}): Step {
		return {
			name,
			parameters: {
				resource: 'image',
				operation,
				...choice,
				waitMode: 'poll',
				mode: 'fast',
				...extra,
				options: { pollIntervalSeconds: 1, timeoutSeconds: 120, ...(extra.options as object) },
			},
		};
	}

	function imagineRequests(): Array<Record<string, unknown>> {
		return fake.requests
			.filter((entry) => entry.method === 'POST' && entry.path === '/midjourney/imagine')
			.map((entry) => entry.body as Record<string, unknown>);
	}

	function tasksOfType(type: 'edits' | 'imagine'): FakeTask[] {
		return [...fake.tasks.values()].filter((task) => task.record.type === type);
	}

	/** The result (flat shape) of a finished task of the fake. */
	function resultOf(task: FakeTask): Record<string, unknown> {
		expect(task.state).toBe('succeeded');
		return task.result as unknown as Record<string, unknown>;
	}

	beforeAll(async () => {
		fake = await startFakeAceDataCloud({ port: 0, validTokens: [API_TOKEN], jobDurationMs: 1000 });
		n8n = await N8nInstance.start();
		credential = await n8n.createCredential({
			name: 'Ace Data Cloud (e2e follow-ups)',
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

	it('Edit → Upscale quarter 2 in poll mode: the image_id comes from the edit, the output is the upscaled quarter as a file', async () => {
		const workflowId = await runChain([EDIT_STEP, followUp('Upscale', 'upscale', { upscaleAction: 'upscale2' })], 'a red sail');

		const execution = await endedRun(workflowId);
		expect({ status: execution.status, error: execution.data?.resultData.error?.message }).toEqual({ status: 'success', error: undefined });

		const [edit] = tasksOfType('edits');
		const [upscale, ...otherFollowUps] = tasksOfType('imagine');
		expect(otherFollowUps).toEqual([]);
		// One paid follow-up, on the edit's own image_id, with the chosen quarter and no callback.
		const [asked, ...askedAgain] = imagineRequests();
		expect(askedAgain).toEqual([]);
		expect(asked).toEqual(expect.objectContaining({ action: 'upscale2', image_id: resultOf(edit).image_id, mode: 'fast' }));
		expect(asked).not.toHaveProperty('callback_url');
		expect(upscale.followUp).toEqual({ action: 'upscale2', sourceImageId: resultOf(edit).image_id, sourceTaskId: edit.id });

		const [item, ...others] = nodeOutputItems(execution, 'Upscale');
		expect(others).toEqual([]);
		expect(item.json).toEqual(
			expect.objectContaining({
				task_id: upscale.id,
				image_id: resultOf(upscale).image_id,
				image_url: expect.stringContaining(`/results/${upscale.id}/upscaled.png`),
				success: true,
			}),
		);
		// The file is the fake's upscale of quarter 2 (top right) of the edit's grid, byte for byte.
		expect(item.binary?.data).toEqual(expect.objectContaining({ mimeType: 'image/png', fileName: `${upscale.id}.png` }));
		const bytes = await readStoredBinary(n8n, item.binary!.data);
		expect(bytes.equals(upscaledImagePng(edit.id, 1, 1))).toBe(true);
		expect(inspectPng(bytes).width).toBe(32);
		// Downloaded once, polled without submitting anything again.
		expect(fake.count('GET', `/results/${upscale.id}/upscaled.png`)).toBe(1);
		expect(fake.count('POST', '/midjourney/edits')).toBe(1);
	});

	it('Edit → Upscale → Zoom Out 2x in "Wait for Callback" mode: the execution waits, the callback resumes it with the new grid', async () => {
		// Callbacks are sent by hand below, once the execution is seen waiting.
		fake.faults.callbackMode = 'never';
		const zoomOut = followUp('Zoom Out', 'zoomOut', { zoomOutAction: 'zoom_out_2x' }, {
			waitMode: 'callback',
			output: 'links',
			options: { allowPrivateCallbackUrl: true },
		});
		const upscale = followUp('Upscale', 'upscale', { upscaleAction: 'upscale1' }, { output: 'links' });
		const workflowId = await runChain([EDIT_STEP, upscale, zoomOut], 'a lighthouse at dusk');

		const waiting = await n8n.waitForExecution((candidate) => candidate.status === 'waiting', { workflowId, timeoutMs: RUN_TIMEOUT_MS });
		const zoomTask = await fake.waitFor(() => tasksOfType('imagine').find((task) => task.followUp?.action === 'zoom_out_2x'), 30_000);
		// The API was handed this execution's resume URL (n8n's token and our signature beside it).
		const callbackUrl = new URL(zoomTask.callbackUrl!);
		expect(`${callbackUrl.origin}${callbackUrl.pathname}`).toBe(`${n8n.baseUrl}/webhook-waiting/${waiting.id}`);
		expect(callbackUrl.searchParams.get('mj_sig')).toMatch(/^[0-9a-f]{64}$/);
		const upscaleTask = tasksOfType('imagine').find((task) => task.followUp?.action === 'upscale1')!;
		expect(zoomTask.followUp?.sourceImageId).toBe(resultOf(upscaleTask).image_id);

		await fake.waitFor(() => zoomTask.state === 'succeeded', 30_000);
		const delivery = await fake.deliverCallback(zoomTask.id);
		expect(delivery.status).toBe(200);
		const finished = await n8n.waitForExecutionToFinish(waiting.id, RUN_TIMEOUT_MS);

		expect({ status: finished.status, error: finished.data?.resultData.error?.message }).toEqual({ status: 'success', error: undefined });
		const [result, ...others] = nodeOutput(finished, 'Zoom Out');
		expect(others).toEqual([]);
		expect(result).toEqual(
			expect.objectContaining({
				task_id: zoomTask.id,
				image_id: resultOf(zoomTask).image_id,
				image_url: expect.stringContaining(`/results/${zoomTask.id}/grid.png`),
				actions: [...GRID_ACTIONS],
				success: true,
			}),
		);
		expect(imagineRequests().map((body) => body.action)).toEqual(['upscale1', 'zoom_out_2x']);
		expect(imagineRequests()[1]).toEqual(expect.objectContaining({ image_id: resultOf(upscaleTask).image_id, callback_url: zoomTask.callbackUrl }));
	});

	it('Edit → Reroll in "Don\'t Wait" mode: the result starts the Midjourney Edits Trigger, whose output names the action', async () => {
		const triggerWebhookId = randomUUID();
		const trigger = await n8n.deployWorkflow(
			loadFixture('callback-trigger', { WEBHOOK_ID: triggerWebhookId, CREDENTIAL_ID: credential.id, CREDENTIAL_NAME: credential.name }),
		);
		const triggerUrl = n8n.webhookUrl(`${triggerWebhookId}/callback`);
		const reroll = followUp('Reroll', 'reroll', {}, { waitMode: 'none', options: { callbackUrl: triggerUrl, allowPrivateCallbackUrl: true } });
		const submitterId = await runChain([EDIT_STEP, reroll], 'a kite over the sea');

		const submitted = await n8n.waitForExecution((candidate) => ['success', 'error'].includes(candidate.status), {
			workflowId: submitterId,
			timeoutMs: RUN_TIMEOUT_MS,
		});
		expect({ status: submitted.status, error: submitted.data?.resultData.error?.message }).toEqual({ status: 'success', error: undefined });
		const [rerollTask] = tasksOfType('imagine');
		expect(nodeOutput(submitted, 'Reroll')).toEqual([expect.objectContaining({ task_id: rerollTask.id })]);
		// Signed for the trigger, like an edit's callback URL.
		expect(rerollTask.callbackUrl?.startsWith(`${triggerUrl}?`)).toBe(true);
		expect(new URL(rerollTask.callbackUrl!).searchParams.get('mj_sig')).toMatch(/^[0-9a-f]{64}$/);

		const delivery = await fake.waitFor(() => fake.callbacks.find((entry) => entry.taskId === rerollTask.id), 30_000);
		expect(delivery.status).toBe(200);
		const started = await n8n.waitForExecution((candidate) => candidate.status === 'success' && triggerTaskId(candidate) === rerollTask.id, {
			workflowId: trigger.id,
			timeoutMs: RUN_TIMEOUT_MS,
		});
		const [received, ...others] = nodeOutput(started, 'Midjourney Edits Trigger');
		expect(others).toEqual([]);
		expect(received).toEqual(
			expect.objectContaining({
				task_id: rerollTask.id,
				action: 'reroll',
				success: true,
				image_url: expect.stringContaining(`/results/${rerollTask.id}/grid.png`),
			}),
		);
		// One callback, one execution (counted once a later callback's execution is listed: marker.ts).
		const before = await executionsBeforeMarker(n8n, fake, { workflowId: trigger.id, callbackUrl: triggerUrl, token: API_TOKEN });
		expect(before.map(triggerTaskId)).toEqual([rerollTask.id]);
	});

	it('a choice the result does not offer (Upscale 2x on a grid) fails with the offered actions, before any request to /midjourney/imagine', async () => {
		const workflowId = await runChain([EDIT_STEP, followUp('Upscale', 'upscale', { upscaleAction: 'upscale_2x' })], 'a green door');

		const { error } = await failureAt(workflowId, 'Upscale');
		expect(`${error?.message} ${error?.description}`).toMatch(/upscaled image/i);
		expect(`${error?.message} ${error?.description}`).toMatch(/Upscale quarter 1-4/);
		// The execution has ended: the edit was paid for, the follow-up never sent.
		expect(fake.count('POST', '/midjourney/edits')).toBe(1);
		expect(fake.count('POST', '/midjourney/imagine')).toBe(0);
		expect(tasksOfType('imagine')).toEqual([]);
	});

	it('when results list no actions (as the vendor\'s edits examples), the API refuses Upscale 2x on a grid: one request, no task, its error on the node', async () => {
		fake.faults.resultsWithoutActions = true;
		const workflowId = await runChain([EDIT_STEP, followUp('Upscale', 'upscale', { upscaleAction: 'upscale_2x' })], 'a yellow umbrella');

		const { execution, error } = await failureAt(workflowId, 'Upscale');
		// The API's own words reach the user (the fake names what the image offers).
		expect(`${error?.message} ${error?.description}`).toMatch(/upscale_2x/);
		expect(nodeOutput(execution, 'Edit')[0]).not.toHaveProperty('actions');
		expect(fake.requests.filter((entry) => entry.path === '/midjourney/imagine').map((entry) => entry.status)).toEqual([400]);
		expect(tasksOfType('imagine')).toEqual([]);
	});

	it('without the Midjourney Imagine service (404 no_api on follow-ups only), the edit succeeds and the follow-up fails saying which service to acquire', async () => {
		fake.faults.imagineNotAcquired = true;
		const workflowId = await runChain([EDIT_STEP, followUp('Upscale', 'upscale', { upscaleAction: 'upscale1' })], 'a blue bicycle');

		const { execution, error } = await failureAt(workflowId, 'Upscale');
		expect(error?.message).toMatch(/Midjourney Imagine/);
		expect(error?.description).toMatch(/acquire/i);
		expect(JSON.stringify(execution)).not.toContain(API_TOKEN);
		// The edit ran and finished; the one follow-up request was refused and created nothing.
		expect(nodeOutput(execution, 'Edit')).toEqual([expect.objectContaining({ success: true })]);
		expect(fake.requests.filter((entry) => entry.path === '/midjourney/imagine').map((entry) => entry.status)).toEqual([404]);
		expect(tasksOfType('imagine')).toEqual([]);
	});
});
